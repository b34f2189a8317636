//! DoT on the event loop: a read fed through the connection's rustls session into plaintext,
//! and what the session has to send (handshake messages, the batch's answers as records,
//! alerts) appended to the loop's arena.

/// Feeds ciphertext to a DoT session and appends the plaintext it yields to `plain`. Ok(true)
/// when the client sent close_notify; Err when a record is bad (an alert is queued then).
pub(super) fn decrypt(
    tls: &mut rustls::ServerConnection,
    mut cipher: &[u8],
    plain: &mut Vec<u8>,
) -> Result<bool, ()> {
    use std::io::Read;
    let mut chunk = [0u8; 4096];
    while !cipher.is_empty() {
        if !matches!(tls.read_tls(&mut cipher), Ok(1..)) {
            return Err(());
        }
        if tls.process_new_packets().is_err() {
            return Err(());
        }
        loop {
            match tls.reader().read(&mut chunk) {
                Ok(0) => return Ok(true),
                Ok(n) => plain.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(_) => return Err(()),
            }
        }
    }
    Ok(false)
}

/// Appends what a DoT session has to send (handshake messages, records, alerts) to `out`.
pub(super) fn seal(tls: &mut rustls::ServerConnection, out: &mut Vec<u8>) {
    while tls.wants_write() {
        if tls.write_tls(out).is_err() {
            break;
        }
    }
}

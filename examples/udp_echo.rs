//! The floor of the socket API for the performance issue: a do-nothing UDP "server" that
//! answers every packet with itself (QR bit set), with the same `recvmmsg`/`sendmmsg` batching
//! as clusterdns's workers. `cargo run --release --example udp_echo -- 127.0.0.1:5353`, then
//! measure it like a server (`../shared/bench/cpu_per_query.sh echo='... {port}'`).

use std::net::UdpSocket;
use std::os::fd::AsRawFd;

const BATCH: usize = 32;
const SIZE: usize = 4096;

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:5353".to_string());
    let sock = UdpSocket::bind(&addr)?;
    eprintln!("echoing on {}", sock.local_addr()?);
    let fd = sock.as_raw_fd();
    let mut bufs = vec![[0u8; SIZE]; BATCH];
    // SAFETY: zeroed sockaddr_storage and mmsghdr are valid initial values.
    let mut addrs: Vec<libc::sockaddr_storage> = vec![unsafe { std::mem::zeroed() }; BATCH];
    let mut iovs: Vec<libc::iovec> = bufs
        .iter_mut()
        .map(|b| libc::iovec {
            iov_base: b.as_mut_ptr().cast(),
            iov_len: SIZE,
        })
        .collect();
    let mut msgs: Vec<libc::mmsghdr> = vec![unsafe { std::mem::zeroed() }; BATCH];
    loop {
        for i in 0..BATCH {
            iovs[i].iov_len = SIZE;
            msgs[i].msg_hdr.msg_name = (&mut addrs[i] as *mut libc::sockaddr_storage).cast();
            msgs[i].msg_hdr.msg_namelen = std::mem::size_of::<libc::sockaddr_storage>() as u32;
            msgs[i].msg_hdr.msg_iov = &mut iovs[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
        }
        // SAFETY: the headers point at buffers owned by this frame, sized as declared.
        let n = unsafe {
            libc::recvmmsg(
                fd,
                msgs.as_mut_ptr(),
                BATCH as u32,
                libc::MSG_WAITFORONE,
                std::ptr::null_mut(),
            )
        };
        if n <= 0 {
            continue;
        }
        let n = n as usize;
        for i in 0..n {
            let len = msgs[i].msg_len as usize;
            if len > 2 {
                bufs[i][2] |= 0x80;
            }
            iovs[i].iov_len = len;
        }
        let mut sent = 0;
        while sent < n {
            // SAFETY: as above; the first n headers were filled by recvmmsg.
            let r = unsafe { libc::sendmmsg(fd, msgs[sent..].as_mut_ptr(), (n - sent) as u32, 0) };
            sent += if r <= 0 { 1 } else { r as usize };
        }
    }
}

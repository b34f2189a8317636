//! `--user NAME`: after binding the sockets as root, become that user (its primary group,
//! supplementary groups cleared) before any packet is read, and check the switch took.

use std::ffi::CString;

/// Why the switch to `--user` failed. The server refuses to run on as root then.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("failed to switch to user {user:?}: no such user")]
    NoSuchUser { user: String },
    #[error("failed to switch to user {user:?}: {step}: {error}")]
    Switch {
        user: String,
        step: &'static str,
        error: std::io::Error,
    },
    #[error("failed to switch to user {user:?}: still able to become root after setuid")]
    NotDropped { user: String },
}

/// The uid and gid of `user` from the password database.
fn lookup(user: &str) -> Result<(libc::uid_t, libc::gid_t), UserError> {
    let none = || UserError::NoSuchUser {
        user: user.to_string(),
    };
    let c = CString::new(user).map_err(|_| none())?;
    let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    let mut out: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer refers to live memory of the declared size; getpwnam_r writes the
    // entry into `pw` and `buf` and sets `out` to `&pw` or null.
    let rc =
        unsafe { libc::getpwnam_r(c.as_ptr(), &mut pw, buf.as_mut_ptr(), buf.len(), &mut out) };
    if rc != 0 || out.is_null() {
        return Err(none());
    }
    Ok((pw.pw_uid, pw.pw_gid))
}

/// Becomes `user`: clears supplementary groups, sets the group, then the user, and verifies
/// that root cannot be regained. Applies to every thread (glibc broadcasts set*id calls).
pub fn drop_to(user: &str) -> Result<(), UserError> {
    let (uid, gid) = lookup(user)?;
    let fail = |step| UserError::Switch {
        user: user.to_string(),
        step,
        error: std::io::Error::last_os_error(),
    };
    // SAFETY: plain system calls with scalar arguments (a null list for zero groups).
    unsafe {
        if libc::setgroups(0, std::ptr::null()) != 0 {
            return Err(fail("setgroups"));
        }
        if libc::setgid(gid) != 0 {
            return Err(fail("setgid"));
        }
        if libc::setuid(uid) != 0 {
            return Err(fail("setuid"));
        }
        let back = uid != 0 && libc::setuid(0) == 0;
        if back || libc::getuid() != uid || libc::geteuid() != uid || libc::getegid() != gid {
            return Err(UserError::NotDropped {
                user: user.to_string(),
            });
        }
    }
    tracing::info!("running as user {user} (uid {uid}, gid {gid})");
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn unknown_user_is_named() {
        let e = super::drop_to("no-such-user-clusterdns").unwrap_err();
        assert_eq!(
            e.to_string(),
            "failed to switch to user \"no-such-user-clusterdns\": no such user"
        );
    }
}

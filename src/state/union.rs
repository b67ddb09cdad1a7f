//! The two kinds of union mount a writable site can be served through.
//!
//! Both show the site's writable state directory in front of its
//! read-only static content, on one mount point:
//!
//! - **overlayfs** (the default): the kernel's own union, as NixOS mounts
//!   it (`fileSystems.<path>.overlay`). No daemon; every read costs about
//!   what it costs on the disk (bench/README, "Union mounts"). It needs a
//!   *work directory*: empty, on the same mount as the state directory
//!   (its upper directory), and outside it
//!   ([`crate::path_policy::default_work_dir`]).
//! - **unionfs-fuse**: the seed network's union (`unionfs -o cow`), a FUSE
//!   daemon every open goes through, an order of magnitude slower per
//!   file served, and the site's tree is gone when the daemon dies.
//!
//! They differ in how they record a static file deleted through the
//! mount (a *whiteout*): unionfs-fuse writes
//! `.unionfs-fuse/<path>_HIDDEN~` at the top of the branch; overlayfs
//! leaves a character device 0/0 at `<path>` (or, on newer kernels, a
//! file with a `trusted.overlay.whiteout` attribute), and marks a
//! directory that replaced a static one *opaque*
//! (`trusted.overlay.opaque = "y"`). A branch written through one is not
//! safe to mount with the other: [`crate::state::masking`] refuses it.

use std::fmt;
use std::str::FromStr;

/// Which union mount serves a writable site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Union {
    #[default]
    #[serde(rename = "overlayfs")]
    Overlayfs,
    #[serde(rename = "unionfs-fuse")]
    UnionfsFuse,
}

impl Union {
    /// Every union, by the name the data model and the CLI use.
    pub const ALL: [Union; 2] = [Union::Overlayfs, Union::UnionfsFuse];

    /// The name written in a network (`union = "overlayfs";`).
    pub fn name(self) -> &'static str {
        match self {
            Union::Overlayfs => "overlayfs",
            Union::UnionfsFuse => "unionfs-fuse",
        }
    }
}

impl fmt::Display for Union {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Union {
    type Err = String;
    fn from_str(s: &str) -> Result<Union, String> {
        Union::ALL
            .into_iter()
            .find(|u| u.name() == s)
            .ok_or_else(|| {
                format!("unknown union {s:?}: expected \"overlayfs\" or \"unionfs-fuse\"")
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_say_what_to_write() {
        for u in Union::ALL {
            assert_eq!(u.name().parse::<Union>(), Ok(u));
            assert_eq!(serde_json::to_value(u).unwrap(), u.name());
        }
        let e = "overlay".parse::<Union>().unwrap_err();
        assert!(e.contains("\"overlayfs\" or \"unionfs-fuse\""), "{e}");
        assert_eq!(Union::default(), Union::Overlayfs);
    }
}

//! "Did you mean": the known name nearest to a misspelt one, for the data
//! model's unknown attributes and enumerations (`model::words`) and the
//! builtins' own misspelt arguments (`args`). The distance is `strsim`'s
//! (Damerau-Levenshtein: a swap of two letters is one edit).

/// The name among `known` nearest to `written`, if near enough to be a
/// slip: the same but for case, one the other cut short by up to three
/// letters, or a few edits away (a third of the length, at least one).
pub fn nearest<'k>(written: &str, known: impl IntoIterator<Item = &'k str>) -> Option<&'k str> {
    let lower = written.to_lowercase();
    known
        .into_iter()
        .map(|k| {
            let d = if k.to_lowercase() == lower {
                0
            } else {
                strsim::damerau_levenshtein(&lower, &k.to_lowercase())
            };
            (d, k)
        })
        .filter(|(d, k)| {
            let k = k.to_lowercase();
            // One is the other cut short by a few letters (`homedir` for
            // `home`; not `nonesuch` for `none`).
            let (short, long) = if k.len() < lower.len() {
                (&k, &lower)
            } else {
                (&lower, &k)
            };
            let cut = short.len() >= 3
                && long.len() - short.len() <= 3
                && long.starts_with(short.as_str());
            cut || *d <= (written.chars().count().max(k.len()) / 3).max(1)
        })
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::nearest;

    #[test]
    fn slips_are_found_and_other_names_are_not() {
        let known = ["none", "ovh", "hetzner", "virtualbox"];
        assert_eq!(nearest("hetzer", known), Some("hetzner"));
        assert_eq!(nearest("OVH", known), Some("ovh"));
        assert_eq!(nearest("aws", known), None);
        assert_eq!(
            nearest("writeable", ["writable", "static"]),
            Some("writable")
        );
        assert_eq!(
            nearest("mountpoint", ["mountPoint", "stateDir"]),
            Some("mountPoint")
        );
        assert_eq!(nearest("stat", ["static", "state"]), Some("state"));
        assert_eq!(
            nearest("homedir", ["user", "home", "hostname"]),
            Some("home")
        );
        assert_eq!(nearest("ho", ["home"]), None);
        assert_eq!(nearest("nonesuch", ["none", "ovh"]), None);
    }
}

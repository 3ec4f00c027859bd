//! "Did you mean" suggestions for misspelt section, option and field names.

/// Returns the candidate closest to `name`, if it is close enough to be a likely typo.
///
/// Distance is the optimal string alignment distance between the lower-case forms, so a
/// swap of two adjacent letters counts as one edit. A candidate qualifies with at most
/// one edit per three characters of `name`, and at least one edit. Ties go to the
/// earlier candidate.
pub(crate) fn closest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let name = name.to_lowercase();
    let limit = (name.chars().count() / 3).max(1);
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        let distance = edit_distance(&name, &candidate.to_lowercase());
        let better = best.is_none_or(|(best_distance, _)| distance < best_distance);
        if distance <= limit && better {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// Optimal string alignment distance: insertions, deletions, substitutions and
/// transpositions of adjacent characters each cost one.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut table = vec![0usize; (a.len() + 1) * width];
    for (i, cell) in table.iter_mut().step_by(width).enumerate() {
        *cell = i;
    }
    for (j, cell) in table.iter_mut().take(width).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (table[(i - 1) * width + j] + 1)
                .min(table[i * width + j - 1] + 1)
                .min(table[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(table[(i - 2) * width + j - 2] + 1);
            }
            table[i * width + j] = best;
        }
    }
    table[a.len() * width + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const API: [&str; 3] = ["bind_host", "bind_port", "public_endpoint"];

    #[test]
    fn transposition_is_one_edit() {
        assert_eq!(edit_distance("bind_prot", "bind_port"), 1);
        assert_eq!(edit_distance("abc", "abc"), 0);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn suggests_close_name() {
        assert_eq!(closest("bind_prot", API), Some("bind_port"));
        assert_eq!(closest("bind_hots", API), Some("bind_host"));
        assert_eq!(closest("BIND_PORT", API), Some("bind_port"));
        assert_eq!(closest("default", ["DEFAULT", "api"]), Some("DEFAULT"));
    }

    #[test]
    fn no_suggestion_when_far() {
        assert_eq!(closest("port", API), None);
        assert_eq!(closest("listen_address", API), None);
        assert_eq!(closest("x", ["api"]), None);
    }
}

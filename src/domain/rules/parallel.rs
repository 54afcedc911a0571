//! The rules of one policy evaluated side by side: up to four threads for the county, one for
//! a single person, the rows kept in the policy's order.

use crate::domain::policy::Rule;
use crate::domain::rules::report::{Outcome, Unmeasured};

/// One rule's rows, and the rule itself if it is not measured yet.
pub(crate) type RuleRows = (Vec<Outcome>, Vec<Unmeasured>);

pub(crate) fn in_parallel<F>(
    rules: &[Rule],
    parallel: bool,
    one_rule: F,
) -> (Vec<Outcome>, Vec<Unmeasured>)
where
    F: Fn(&Rule) -> (Vec<Outcome>, Vec<Unmeasured>) + Sync,
{
    let threads = if parallel {
        std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
    } else {
        1
    };
    let mut parts: Vec<(usize, RuleRows)> = if threads > 1 {
        // Rules dealt round-robin so that each thread gets a mix of heavy and light ones.
        std::thread::scope(|scope| {
            let handles: Vec<_> = (1..threads)
                .map(|t| {
                    let one_rule = &one_rule;
                    scope.spawn(move || {
                        (t..rules.len())
                            .step_by(threads)
                            .map(|i| (i, one_rule(&rules[i])))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            let mut parts: Vec<_> = (0..rules.len())
                .step_by(threads)
                .map(|i| (i, one_rule(&rules[i])))
                .collect();
            for h in handles {
                // A rule that panicked is a bug: it must not leave a report with rows missing.
                match h.join() {
                    Ok(more) => parts.extend(more),
                    Err(e) => std::panic::resume_unwind(e),
                }
            }
            parts
        })
    } else {
        rules.iter().map(&one_rule).enumerate().collect()
    };
    parts.sort_by_key(|(i, _)| *i);
    // Sized once: a county's 600,000 rows copied through doublings touch fresh pages each time.
    let mut results = Vec::with_capacity(parts.iter().map(|(_, (r, _))| r.len()).sum());
    let mut unmeasured = Vec::new();
    for (_, (r, u)) in parts {
        results.extend(r);
        unmeasured.extend(u);
    }
    (results, unmeasured)
}

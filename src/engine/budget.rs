//! Daily and monthly spending caps: a submission that would pass one is
//! refused unless the user insists; one that passes 80% is warned about.

use crate::money::Micros;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Caps {
    pub daily: Option<Micros>,
    pub monthly: Option<Micros>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Within,
    Warn(String),
    Refuse(String),
}

/// Judges spending `estimate` on top of what today and this month already hold.
pub fn judge(caps: Caps, spent_today: Micros, spent_month: Micros, estimate: Micros) -> Verdict {
    let mut warnings = Vec::new();
    for (cap, spent, period, key) in [
        (caps.daily, spent_today, "today", "daily_usd"),
        (caps.monthly, spent_month, "this month", "monthly_usd"),
    ] {
        let Some(cap) = cap else { continue };
        let after = spent + estimate;
        if after > cap {
            return Verdict::Refuse(format!(
                "this would bring {period}'s spend to {after} ({spent} so far + {estimate}), past the budget of {cap} \
                 ([budget] {key} in config.toml); pass --yes to go ahead anyway"
            ));
        }
        // 80% in integers: after * 5 >= cap * 4.
        if i128::from(after.0) * 5 >= i128::from(cap.0) * 4 && estimate > Micros::ZERO {
            let percent = i128::from(after.0) * 100 / i128::from(cap.0.max(1));
            warnings.push(format!(
                "{period}'s spend will reach {after}, {percent}% of the {cap} budget"
            ));
        }
    }
    if warnings.is_empty() {
        Verdict::Within
    } else {
        Verdict::Warn(warnings.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAPS: Caps = Caps {
        daily: Some(Micros(1_000_000)),
        monthly: Some(Micros(10_000_000)),
    };

    #[test]
    fn refuses_past_a_cap() {
        let verdict = judge(CAPS, Micros(900_000), Micros(900_000), Micros(120_000));
        let Verdict::Refuse(message) = verdict else {
            panic!("{verdict:?}")
        };
        assert!(
            message.contains("$1.02") && message.contains("daily_usd") && message.contains("--yes"),
            "{message}"
        );
        let monthly = judge(CAPS, Micros(0), Micros(9_950_000), Micros(80_000));
        assert!(matches!(monthly, Verdict::Refuse(m) if m.contains("this month")));
    }

    #[test]
    fn warns_from_eighty_percent() {
        assert_eq!(
            judge(CAPS, Micros(700_000), Micros(700_000), Micros(90_000)),
            Verdict::Within
        );
        let Verdict::Warn(message) = judge(CAPS, Micros(700_000), Micros(700_000), Micros(100_000))
        else {
            panic!("expected a warning")
        };
        assert!(message.contains("80%"), "{message}");
        assert_eq!(
            judge(CAPS, Micros(1_000_000), Micros(0), Micros::ZERO),
            Verdict::Within,
            "free work is never refused"
        );
        assert_eq!(
            judge(Caps::default(), Micros(99_000_000), Micros(0), Micros(1)),
            Verdict::Within
        );
    }
}

//! Provider failures, classified so the engine knows whether to retry and the
//! user knows whether they were charged and what to do next.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    InvalidRequest,
    Authentication,
    InsufficientCredit,
    RateLimited,
    Moderation,
    /// 5xx, timeouts, resets: worth another try.
    Transient,
    /// The request may have been processed (and billed) but no answer came.
    UnknownOutcome,
    /// The answer could not be understood: truncated or invalid JSON, an
    /// HTML page, the wrong content type, invalid base64. It may have been billed.
    BadResponse,
    /// The provider made the image but it could not be fetched (an expired
    /// output link). It was billed.
    OutputLost,
    /// Canceled at the provider (from its website or another client).
    Canceled,
    /// The provider delivered but the result could not be kept here (an
    /// unreadable image, a full disk).
    SaveFailed,
    /// Not sent: the provider failed several times in a row, so tintype
    /// pauses it for a while instead of sending more into the same fault.
    CircuitOpen,
}

/// Whether a failed call cost money.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Charged {
    No,
    Maybe,
    Yes,
}

impl ErrorClass {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::InvalidRequest => "invalid_request",
            ErrorClass::Authentication => "authentication",
            ErrorClass::InsufficientCredit => "insufficient_credit",
            ErrorClass::RateLimited => "rate_limited",
            ErrorClass::Moderation => "moderation",
            ErrorClass::Transient => "transient",
            ErrorClass::UnknownOutcome => "unknown_outcome",
            ErrorClass::BadResponse => "bad_response",
            ErrorClass::OutputLost => "output_lost",
            ErrorClass::Canceled => "canceled",
            ErrorClass::SaveFailed => "save_failed",
            ErrorClass::CircuitOpen => "circuit_open",
        }
    }

    /// Only these are sent again automatically; an unknown outcome never is,
    /// because it may already have been billed.
    pub fn is_retryable(self) -> bool {
        matches!(self, ErrorClass::RateLimited | ErrorClass::Transient)
    }

    /// Failures that say the provider (or the account with it) is in
    /// trouble, as opposed to this one request: these open its circuit.
    /// Rate limits are left to the pacer.
    pub fn is_provider_fault(self) -> bool {
        matches!(
            self,
            ErrorClass::Transient
                | ErrorClass::UnknownOutcome
                | ErrorClass::BadResponse
                | ErrorClass::Authentication
                | ErrorClass::InsufficientCredit
        )
    }

    pub fn next_step(self) -> &'static str {
        match self {
            ErrorClass::InvalidRequest => {
                "change the request; sending it again as is will fail the same way"
            }
            ErrorClass::Authentication => {
                "check the provider's API key (tintype shows it only masked)"
            }
            ErrorClass::InsufficientCredit => {
                "add credit or raise the quota with the provider, then retry"
            }
            ErrorClass::RateLimited => {
                "wait a little and retry; tintype paces requests to the provider's limits"
            }
            ErrorClass::Moderation => "the provider refused the content; rephrase the prompt",
            ErrorClass::Transient => "a temporary fault at the provider; retry",
            ErrorClass::UnknownOutcome => {
                "it may have been processed and billed: check the provider's dashboard before sending it again"
            }
            ErrorClass::BadResponse => {
                "the provider's answer was garbled; it may have been billed, so check its dashboard before sending again"
            }
            ErrorClass::OutputLost => {
                "the image was made and billed but its link no longer answers; make it again"
            }
            ErrorClass::Canceled => {
                "it was canceled at the provider; send it again if that was not meant"
            }
            ErrorClass::SaveFailed => {
                "the provider delivered; free disk space or fix permissions, then retry"
            }
            ErrorClass::CircuitOpen => {
                "check the provider's status page, your key and credit; tintype tries it again after the pause"
            }
        }
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ProviderError {
    pub class: ErrorClass,
    /// What went wrong, in the provider's words where it gave any (already
    /// stripped of terminal control sequences by the provider module).
    pub message: String,
    pub retry_after: Option<Duration>,
    pub charged: Charged,
    pub status: Option<u16>,
}

impl ProviderError {
    pub fn new(class: ErrorClass, message: impl Into<String>) -> ProviderError {
        ProviderError {
            class,
            message: message.into(),
            retry_after: None,
            charged: match class {
                ErrorClass::UnknownOutcome | ErrorClass::BadResponse => Charged::Maybe,
                ErrorClass::OutputLost | ErrorClass::SaveFailed => Charged::Yes,
                _ => Charged::No,
            },
            status: None,
        }
    }

    #[must_use]
    pub fn with_retry_after(mut self, wait: Duration) -> ProviderError {
        self.retry_after = Some(wait);
        self
    }

    #[must_use]
    pub fn with_status(mut self, status: u16) -> ProviderError {
        self.status = Some(status);
        self
    }

    /// The whole story for a person: what happened, the money, the next step.
    pub fn explain(&self) -> String {
        let money = match self.charged {
            Charged::No => "not charged",
            Charged::Maybe => "may have been charged",
            Charged::Yes => "charged",
        };
        format!("{} ({money}); {}", self.message, self.class.next_step())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_outcomes_may_be_charged_and_are_not_retried() {
        let error = ProviderError::new(ErrorClass::UnknownOutcome, "connection reset after upload");
        assert_eq!(error.charged, Charged::Maybe);
        assert!(!error.class.is_retryable());
        assert!(error.explain().contains("may have been charged"));
        assert!(error.explain().contains("dashboard"));
        assert!(ErrorClass::RateLimited.is_retryable());
        assert!(!ErrorClass::InvalidRequest.is_retryable());
    }
}

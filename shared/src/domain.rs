//! The domain as data for the PWA: the wire names of every enumeration, who may record each kind
//! of event, the transition table and the survey's questions and answer scale, exported as JSON (`pwa/src/domain.json`, which a test keeps
//! equal to [`domain_json`]). The PWA builds its permission and transition checks from that file,
//! so a rule changed here reaches the phone with the next build, or a test says why not.
//!
//! The fold itself is written twice (here and in `pwa/src/schema.ts`, which must run offline
//! without a WebAssembly build); shared test vectors (`pwa/test/fold-vectors.json`, made by the
//! tests of this module from [`crate::workflow::fold`]) are run by both test suites.

use serde_json::{Map, Value, json};

use crate::event_kind::EventKind;
use crate::role::{PERMISSIONS, Role};
use crate::schema::{Channel, Mode, Outcome, SCHEMA_VERSION, SurveyAnswers, SurveyChannel};
use crate::sla::Priority;
use crate::workflow::{FlagKind, Next, State, TRANSITIONS};

/// The domain tables as the PWA reads them, pretty-printed with a final newline.
pub fn domain_json() -> String {
    let permissions: Map<String, Value> = PERMISSIONS
        .iter()
        .map(|(kind, roles)| {
            let roles: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            (kind.as_str().to_owned(), json!(roles))
        })
        .collect();
    let transitions: Vec<Value> = TRANSITIONS
        .iter()
        .map(|t| {
            let from: Vec<&str> = t.from.iter().map(|s| s.as_str()).collect();
            let to = match t.to {
                Next::To(state) => state.as_str(),
                Next::Stay => "stay",
            };
            json!({"kind": t.kind.as_str(), "from": from, "to": to})
        })
        .collect();
    let table = json!({
        "schema_version": SCHEMA_VERSION,
        "roles": Role::WIRE_NAMES,
        "channels": Channel::WIRE_NAMES,
        "modes": Mode::WIRE_NAMES,
        "outcomes": Outcome::WIRE_NAMES,
        "priorities": Priority::WIRE_NAMES,
        "survey_channels": SurveyChannel::WIRE_NAMES,
        "event_kinds": EventKind::WIRE_NAMES,
        "states": State::WIRE_NAMES,
        "flag_kinds": FlagKind::WIRE_NAMES,
        "permissions": permissions,
        "transitions": transitions,
        "survey": {
            "questions": SurveyAnswers::QUESTIONS.map(|(_, q)| q),
            "scale": SurveyAnswers::SCALE,
        },
    });
    let mut out = serde_json::to_string_pretty(&table).expect("a table of strings");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests;

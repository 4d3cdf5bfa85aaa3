//! Each text and list of a ticket's parts measured against the limits' table
//! ([`crate::limits`]): the first value over its limit, named by its path in the document.

use crate::limits::{
    ACTIONS, COMMENT, CONDITION, DESCRIPTION, DIAGNOSIS, EQUIPMENT, EVIDENCE, NOTE, OverLimit,
    REASON, REQUEST_PHOTOS, RESULTS, SHORT_TEXT, SUMMARY, SURVEY_COMMENT, TESTS,
};
use crate::schema::{ClosingReport, Comment, Custody, Event, Request, Survey, Visit};

/// The request's texts and lists.
pub(super) fn check_request(request: &Request) -> Result<(), OverLimit> {
    DESCRIPTION.check("request.description", &request.description)?;
    for (field, value) in [
        ("request.requester.id", &request.requester.id),
        ("request.requester.name", &request.requester.name),
        ("request.dependencia", &request.dependencia),
        ("request.location", &request.location),
        ("request.category", &request.category),
    ] {
        SHORT_TEXT.check(field, value)?;
    }
    if let Some(extension) = &request.phone_extension {
        SHORT_TEXT.check("request.phone_extension", extension)?;
    }
    if let Some(reference) = &request.external_ref {
        SHORT_TEXT.check("request.external_ref", reference)?;
    }
    EQUIPMENT.check("request.equipment", request.equipment.len())?;
    REQUEST_PHOTOS.check("request.photos", request.photos.len())?;
    for (i, code) in request.equipment.iter().enumerate() {
        SHORT_TEXT.check(format!("request.equipment[{i}]"), code)?;
    }
    for (i, sha) in request.photos.iter().enumerate() {
        SHORT_TEXT.check(format!("request.photos[{i}]"), sha)?;
    }
    Ok(())
}

/// The texts of the event at index `i`.
pub(super) fn check_event(i: usize, event: &Event) -> Result<(), OverLimit> {
    SHORT_TEXT.check(format!("events[{i}].author"), &event.author)?;
    let data = &event.data;
    if let Some(reason) = &data.reason {
        REASON.check(format!("events[{i}].data.reason"), reason)?;
    }
    if let Some(reason) = &data.equipment_out_reason {
        REASON.check(format!("events[{i}].data.equipment_out_reason"), reason)?;
    }
    if let Some(assignee) = &data.assignee {
        SHORT_TEXT.check(format!("events[{i}].data.assignee.id"), &assignee.id)?;
        SHORT_TEXT.check(format!("events[{i}].data.assignee.name"), &assignee.name)?;
    }
    if let Some(url) = &data.duplicate_of {
        SHORT_TEXT.check(format!("events[{i}].data.duplicate_of"), url)?;
    }
    if let Some(custody) = &data.custody {
        check_custody(&format!("events[{i}].data.custody"), custody)?;
    }
    Ok(())
}

/// The texts and list of a custody record at `path`.
fn check_custody(path: &str, custody: &Custody) -> Result<(), OverLimit> {
    EQUIPMENT.check(format!("{path}.equipment"), custody.equipment.len())?;
    for (field, value) in [
        ("from", &custody.from),
        ("to", &custody.to),
        ("place", &custody.place),
    ] {
        SHORT_TEXT.check(format!("{path}.{field}"), value)?;
    }
    for code in &custody.equipment {
        SHORT_TEXT.check(format!("{path}.equipment"), code)?;
    }
    CONDITION.check(format!("{path}.condition"), &custody.condition)
}

/// The texts and photos of the visit at index `i`.
pub(super) fn check_visit(i: usize, visit: &Visit) -> Result<(), OverLimit> {
    SHORT_TEXT.check(format!("visits[{i}].technician"), &visit.technician)?;
    NOTE.check(format!("visits[{i}].note"), &visit.note)?;
    DIAGNOSIS.check(format!("visits[{i}].diagnosis"), &visit.diagnosis)?;
    ACTIONS.check(format!("visits[{i}].actions"), &visit.actions)?;
    TESTS.check(format!("visits[{i}].tests"), &visit.tests)?;
    EVIDENCE.check(format!("visits[{i}].evidence"), visit.evidence.len())?;
    for (j, photo) in visit.evidence.iter().enumerate() {
        SHORT_TEXT.check(format!("visits[{i}].evidence[{j}].sha256"), &photo.sha256)?;
    }
    if let Some(custody) = &visit.custody {
        check_custody(&format!("visits[{i}].custody"), custody)?;
    }
    EQUIPMENT.check(format!("visits[{i}].equipment"), visit.equipment.len())?;
    for code in &visit.equipment {
        SHORT_TEXT.check(format!("visits[{i}].equipment"), code)?;
    }
    if let Some(signature) = &visit.signature {
        SHORT_TEXT.check(format!("visits[{i}].signature.sha256"), &signature.sha256)?;
        SHORT_TEXT.check(format!("visits[{i}].signature.signer"), &signature.signer)?;
    }
    Ok(())
}

/// The closing report's texts.
pub(super) fn check_report(report: &ClosingReport) -> Result<(), OverLimit> {
    SHORT_TEXT.check("report.author", &report.author)?;
    SUMMARY.check("report.summary", &report.summary)?;
    RESULTS.check("report.results", &report.results)
}

/// The survey's texts.
pub(super) fn check_survey(survey: &Survey) -> Result<(), OverLimit> {
    SHORT_TEXT.check("survey.by", &survey.by)?;
    SURVEY_COMMENT.check("survey.answers.comment", &survey.answers.comment)
}

/// The text of the comment at index `i`.
pub(super) fn check_comment(i: usize, comment: &Comment) -> Result<(), OverLimit> {
    SHORT_TEXT.check(format!("comments[{i}].author"), &comment.author)?;
    COMMENT.check(format!("comments[{i}].text"), &comment.text)
}

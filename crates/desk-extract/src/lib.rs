//! Type detection and text extraction of attachments, run in a separate worker process.
//!
//! A host calls [`run_isolated`]; the worker side is [`worker_main`], reached from any
//! binary through [`run_worker_if_requested`] (see [`worker`] for the contract).

mod archive;
mod detect;
mod error;
mod extract;
mod extraction;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod kind;
mod limits;
mod ocr;
mod odf;
mod ole;
mod ooxml;
mod pdf;
mod soffice;
pub mod worker;
mod xlsx;
mod xml;

pub use detect::{Detected, detect, detect_reader};
pub use error::ExtractError;
pub use extract::{extract_in_process, extract_reporting};
pub use extraction::{Extraction, Outcome, PageReading, TextUnit};
pub use kind::DocKind;
pub use limits::Limits;
pub use ocr::ocr_languages_for;
pub use soffice::find_soffice;
pub use worker::{
    OcrStatus, WORKER_ARG, WorkerCommand, run_isolated, run_isolated_watched,
    run_worker_if_requested, worker_main,
};
#[cfg(feature = "test-hooks")]
pub use worker::{TestHook, run_isolated_with_hook};

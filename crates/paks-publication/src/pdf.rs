//! Typst as a library: a `World` of three in-memory files (the template, the shared styles and
//! the case data as JSON) and the shipped fonts.

use serde::Serialize;
use typst::diag::{FileError, FileResult, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;

use crate::error::{PublicationError, Result};
use crate::fonts::FontSet;
use crate::model::{PrintedCase, Proceedings};

const STYLE: &str = include_str!("templates/style.typ");
const CASE: &str = include_str!("templates/case.typ");
const PROCEEDINGS: &str = include_str!("templates/proceedings.typ");

pub(crate) fn case(case: &PrintedCase, fonts: &FontSet) -> Result<Vec<u8>> {
    typeset(CASE, &case.view(), fonts)
}

pub(crate) fn proceedings(proceedings: &Proceedings, fonts: &FontSet) -> Result<Vec<u8>> {
    typeset(PROCEEDINGS, &proceedings.view(), fonts)
}

#[derive(Serialize)]
struct TemplateData<'a, T> {
    fonts: &'a [String],
    content: &'a T,
}

fn typeset<T: Serialize>(template: &str, content: &T, fonts: &FontSet) -> Result<Vec<u8>> {
    let data = serde_json::to_vec(&TemplateData { fonts: &fonts.families, content })?;
    let world = PublicationWorld::new(template, data, fonts)?;
    let document: PagedDocument = typst::compile(&world)
        .output
        .map_err(|errors| PublicationError::Typeset(describe(&errors)))?;
    let options = typst_pdf::PdfOptions::default();
    typst_pdf::pdf(&document, &options).map_err(|errors| PublicationError::Pdf(describe(&errors)))
}

fn describe(errors: &[SourceDiagnostic]) -> String {
    errors.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("; ")
}

fn file_id(path: &str) -> Result<FileId> {
    let vpath =
        VirtualPath::new(path).map_err(|e| PublicationError::Typeset(format!("{path}: {e:?}")))?;
    Ok(RootedPath::new(VirtualRoot::Project, vpath).intern())
}

struct PublicationWorld<'f> {
    library: LazyHash<Library>,
    fonts: &'f FontSet,
    main: Source,
    style: Source,
    data_id: FileId,
    data: Bytes,
}

impl<'f> PublicationWorld<'f> {
    fn new(template: &str, data: Vec<u8>, fonts: &'f FontSet) -> Result<Self> {
        Ok(Self {
            library: LazyHash::new(Library::builder().build()),
            fonts,
            main: Source::new(file_id("/main.typ")?, template.to_owned()),
            style: Source::new(file_id("/style.typ")?, STYLE.to_owned()),
            data_id: file_id("/data.json")?,
            data: Bytes::new(data),
        })
    }
}

impl World for PublicationWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &self.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.fonts.book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else if id == self.style.id() {
            Ok(self.style.clone())
        } else {
            Err(FileError::NotFound(id.get().vpath().get_with_slash().into()))
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.data_id {
            Ok(self.data.clone())
        } else {
            self.source(id).map(|s| Bytes::from_string(s.text().to_owned()))
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.fonts.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        // The templates print the date they are given, so two builds of the same data agree.
        None
    }
}

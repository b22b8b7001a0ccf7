//! Cases in the region's scripts, and reading text back out of the documents written of them.
#![allow(dead_code)]

use paks_protocol::{CASE_SCHEMA_VERSION, CaseDocument, FocalPointContact, MdgLink, SdgLink};
use paks_publication::{PrintedCase, PrintedFile};
use uuid::Uuid;

pub const LAO: &str = "ການພັດທະນາລັດຖະບານເອເລັກໂຕຣນິກ ເພື່ອບັນລຸເປົ້າໝາຍການພັດທະນາແຫ່ງສະຫັດສະວັດ ໃນແຂວງຫຼວງພະບາງ";
pub const KHMER: &str = "រដ្ឋាភិបាលអេឡិចត្រូនិចសម្រាប់សម្រេចគោលដៅអភិវឌ្ឍន៍សហស្សវត្សរ៍ នៅខេត្តសៀមរាប";
pub const THAI: &str = "รัฐบาลอิเล็กทรอนิกส์เพื่อการพัฒนาที่ยั่งยืน";
pub const MYANMAR: &str = "အီလက်ထရောနစ်အစိုးရနှင့် ထောင်စုနှစ်ဖွံ့ဖြိုးရေးပန်းတိုင်များ";
pub const DEVANAGARI: &str = "ई-सरकार और सहस्राब्दी विकास लक्ष्य की प्राप्ति";
pub const RUSSIAN: &str = "Электронное правительство для достижения целей развития тысячелетия";
pub const CHINESE: &str = "电子政务促进千年发展目标的实现";
/// Typst markup, which must come out as the characters typed.
pub const MARKUP: &str = "Costs #sys.inputs *not bold* $x^2$ ] [ <label> @ref `raw` \\ end";

pub fn case(title: &str, country: &str, language: &str, sections: &[&str]) -> PrintedCase {
    let mut document = CaseDocument {
        schema_version: CASE_SCHEMA_VERSION,
        case_uid: Uuid::new_v4(),
        version: 1,
        language: language.to_owned(),
        title: title.to_owned(),
        country: country.to_owned(),
        government_level: "national".to_owned(),
        institutions: vec!["Ministry of Posts and Telecommunications".to_owned()],
        start_year: Some(2009),
        stage: "implemented".to_owned(),
        mdg_links: vec![
            MdgLink {
                target: "8.F".to_owned(),
                indicator: Some("8.16".to_owned()),
                note: format!("Internet users per 100 people. {}", sections[0]),
            },
            MdgLink { target: "2.A".to_owned(), indicator: None, note: String::new() },
        ],
        sdg_links: vec![SdgLink { target: "16.6".to_owned(), note: None }],
        focal_point: FocalPointContact {
            name: "Focal Point".to_owned(),
            email: "fp@example.org".to_owned(),
            ..FocalPointContact::default()
        },
        ..CaseDocument::default()
    };
    // Each text fills one section, in reading order, and the first sections again if fewer.
    let mut texts = sections.iter().cycle();
    let mut next = || texts.next().copied().unwrap_or_default().to_owned();
    let count = sections.len().max(5);
    let fields: [&mut String; 8] = [
        &mut document.summary,
        &mut document.problem,
        &mut document.solution,
        &mut document.innovation,
        &mut document.objectives,
        &mut document.results,
        &mut document.obstacles,
        &mut document.lessons_learned,
    ];
    for field in fields.into_iter().take(count) {
        *field = next();
    }
    PrintedCase {
        document,
        files: vec![PrintedFile {
            name: "ແຜນງານ-plan.pdf".to_owned(),
            media_type: "application/pdf".to_owned(),
            size: 48_213,
        }],
        receipt: None,
    }
}

pub fn pdf_text(pdf: &std::path::Path) -> String {
    paks_publication::read_back::pdf_text(pdf).expect("pdftotext reads the PDF")
}

pub fn docx_text(docx: &std::path::Path) -> String {
    paks_publication::read_back::docx_text(docx).expect("LibreOffice reads the Word document")
}

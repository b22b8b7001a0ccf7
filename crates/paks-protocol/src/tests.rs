use base64::Engine;
use ed25519_dalek::{Signer, SigningKey};

use super::*;

fn case() -> CaseDocument {
    serde_json::from_value(serde_json::json!({
        "schema_version": 1, "case_uid": "6f1c2a1e-3b7d-4c55-9a2e-0d4b8f1e7c21", "version": 1,
        "language": "en", "title": "Portal", "country": "LAO", "government_level": "national",
        "institutions": ["Ministry"], "partners": [], "start_year": 2012, "stage": "implemented",
        "themes": [], "summary": "S", "problem": "", "solution": "", "innovation": "",
        "objectives": "", "stakeholders": "", "implementation": "", "resources": "",
        "ict_components": "", "results": "", "obstacles": "", "sustainability": "",
        "transferability": "", "lessons_learned": "", "related_policy": "", "links": "",
        "mdg_links": [{"target": "8.F", "indicator": "8.16"}],
        "sdg_links": [{"target": "9.c"}],
        "focal_point": {"name": "N", "title": "T", "institution": "I", "email": "n@x.la"}
    }))
    .unwrap()
}

fn signed_receipt(key: &SigningKey) -> Receipt {
    let mut r = Receipt {
        receipt_version: RECEIPT_VERSION,
        server_name: "PAKS".into(),
        submission_id: uuid::Uuid::new_v4(),
        case_uid: uuid::Uuid::new_v4(),
        version: 1,
        replaces: None,
        country: "LAO".into(),
        received_at: "2026-01-01T00:00:00Z".into(),
        case_sha256: sha256_hex(b"case"),
        files: vec![],
        key_id: key_id(&key.verifying_key()),
        signature: String::new(),
    };
    let sig = key.sign(&r.signing_bytes().unwrap());
    r.signature = base64::engine::general_purpose::STANDARD.encode(sig.to_bytes());
    r
}

fn b64_key(key: &SigningKey) -> String {
    base64::engine::general_purpose::STANDARD.encode(key.verifying_key().as_bytes())
}

#[test]
fn receipt_verifies_and_any_change_breaks_it() {
    let key = SigningKey::from_bytes(&[7u8; 32]);
    let r = signed_receipt(&key);
    verify_receipt(&b64_key(&key), &r).unwrap();
    let mut t = r.clone();
    t.version = 2;
    assert!(matches!(verify_receipt(&b64_key(&key), &t), Err(ProtocolError::BadSignature)));
    let other = SigningKey::from_bytes(&[8u8; 32]);
    assert!(matches!(verify_receipt(&b64_key(&other), &r), Err(ProtocolError::KeyMismatch { .. })));
    assert!(verify_receipt("not base64!", &r).is_err());
    // A receipt survives a JSON round trip (the app stores it) and still verifies.
    let back: Receipt = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
    verify_receipt(&b64_key(&key), &back).unwrap();
}

#[test]
fn case_document_rejects_unknown_fields_and_canonical_form_is_stable() {
    let c = case();
    c.validate().unwrap();
    let mut v = serde_json::to_value(&c).unwrap();
    v["extra"] = serde_json::json!(1);
    assert!(serde_json::from_value::<CaseDocument>(v).unwrap_err().to_string().contains("extra"));
    let bytes = canonical_case_json(&c).unwrap();
    assert!(bytes.starts_with(b"{\"schema_version\":1,\"case_uid\":"));
    assert!(String::from_utf8(bytes.clone()).unwrap().contains("\"replaces\":null"));
    let reparsed: CaseDocument = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(case_sha256(&reparsed).unwrap(), sha256_hex(&bytes));
}

#[test]
fn case_rules() {
    let mut c = case();
    c.country = "Lao".into();
    c.version = 2;
    c.mdg_links[0].target = "8f".into();
    c.sdg_links[0].target = "9.C".into();
    c.title = "a\u{0}b".into();
    let errors = c.validate().unwrap_err();
    let pointers: Vec<_> = errors.iter().map(|e| e.pointer.as_str()).collect();
    for p in ["/country", "/replaces", "/mdg_links/0/target", "/sdg_links/0/target", "/title"] {
        assert!(pointers.contains(&p), "{p} missing in {pointers:?}");
    }
}

#[test]
fn file_names_must_be_plain() {
    for bad in ["", "..", "a/b", "a\\b", "c:x", "a\u{1b}b", &"x".repeat(256)] {
        assert!(validate_file_name(bad).is_err(), "{bad:?}");
    }
    validate_file_name("Rapport d'étude (final).pdf").unwrap();
}

#[test]
fn direction_controls_are_refused_in_names_and_titles_and_nowhere_else_needed() {
    let controls = [
        '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}',
        '\u{2068}', '\u{2069}', '\u{200E}', '\u{200F}', '\u{061C}',
    ];
    for c in controls {
        assert!(is_bidi_control(c), "U+{:04X}", c as u32);
        assert!(!c.is_control(), "is_control alone lets U+{:04X} through", c as u32);
        let name = format!("report{c}fdp.exe");
        assert!(validate_file_name(&name).is_err(), "file name with U+{:04X}", c as u32);
        let mut doc = case();
        doc.title = format!("Tax {c}latrop");
        doc.focal_point.institution = format!("Ministry{c}");
        let pointers: Vec<String> =
            doc.validate().unwrap_err().into_iter().map(|e| e.pointer).collect();
        assert_eq!(pointers, ["/title", "/focal_point/institution"], "U+{:04X}", c as u32);
    }
    for plain in ['a', 'ລ', 'ي', '\u{200D}', ' '] {
        assert!(!is_bidi_control(plain), "{plain:?}");
    }
    validate_file_name("ລາຍງານ ປີ 2024.pdf").unwrap();
}

#[test]
fn a_public_key_has_the_id_its_identity_names() {
    let key = SigningKey::from_bytes(&[7; 32]);
    assert_eq!(public_key_id(&b64_key(&key)).unwrap(), key_id(&key.verifying_key()));
    assert!(public_key_id("not a key").is_err());
}

#[test]
fn problem_types_round_trip_and_schemas_cover_the_wire_types() {
    for t in ProblemType::ALL {
        assert_eq!(ProblemType::from_uri(&t.uri()), Some(*t));
    }
    let schemas = component_schemas();
    for name in ["SubmissionRequest", "CaseDocument", "Receipt", "ServerIdentity", "Problem"] {
        assert!(schemas.contains_key(name), "{name}");
    }
    let case_schema = &schemas["CaseDocument"];
    assert_eq!(case_schema["additionalProperties"], serde_json::json!(false));
    let text = serde_json::to_string(&schemas).unwrap();
    assert!(!text.contains("#/$defs"), "refs must point into components");
}

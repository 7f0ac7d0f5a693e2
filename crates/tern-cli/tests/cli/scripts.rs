//! The `tern` binary as scripts use it: JSON out, exit 0 / 1 / 2.

use std::{
    io::Write,
    process::{Command, Output, Stdio},
};

use serde_json::Value;

fn tern(args: &[&str], stdin: &[u8]) -> (i32, Value, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tern"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().unwrap();
    let json = serde_json::from_slice(&stdout).unwrap_or(Value::Null);
    (
        status.code().unwrap(),
        json,
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

/// The smallest GIF: one white pixel.
const PIXEL_GIF: &[u8] = b"GIF89a\x01\0\x01\0\x80\0\0\xff\xff\xff\0\0\0!\xf9\x04\x01\0\0\0\0,\0\0\0\0\x01\0\x01\0\0\x02\x02D\x01\0;";

#[test]
fn message_inspect_counts_the_text_exactly_as_given() {
    let (code, json, _) = tern(
        &["message", "inspect", "--channel", "sms"],
        "Hello {{name}}\n".as_bytes(),
    );
    assert_eq!(code, 0);
    assert_eq!(json["encoding"], "GSM-7");
    assert_eq!(json["characters"], 15, "the trailing newline counts");
    assert_eq!(
        json["units"], 19,
        "braces are extension characters, two septets each"
    );
    assert_eq!(
        (json["segments"].clone(), json["limit"].clone()),
        (1.into(), 1530.into())
    );
}

#[test]
fn message_inspect_exits_1_when_the_text_does_not_fit() {
    let (code, json, _) = tern(
        &[
            "message",
            "inspect",
            "--channel",
            "sms",
            "--max-segments",
            "1",
        ],
        "é€ж".repeat(30).as_bytes(),
    );
    assert_eq!(code, 1);
    assert_eq!(
        (
            json["fits"].clone(),
            json["limit"].clone(),
            json["segments"].clone()
        ),
        (false.into(), 70.into(), 2.into())
    );
    let (code, json, _) = tern(
        &["message", "inspect", "--channel", "mms", "--json"],
        "ж".repeat(1531).as_bytes(),
    );
    assert_eq!(
        (code, json["units"].clone(), json["segments"].clone()),
        (1, 1531.into(), Value::Null)
    );
}

#[test]
fn usage_errors_exit_2_and_say_what_is_wrong() {
    let (code, _, stderr) = tern(&["message", "inspect", "--channel", "fax"], b"");
    assert_eq!(code, 2);
    assert!(stderr.contains("fax"), "{stderr}");
    let (code, _, stderr) = tern(&["message", "inspect", "--channel", "sms"], b"\xff\xfe");
    assert_eq!(code, 2);
    assert!(stderr.contains("not valid UTF-8"), "{stderr}");
    assert_eq!(tern(&["phone", "parse"], b"").0, 2);
}

#[test]
fn phone_parse_prints_one_object_per_number_and_an_array_for_several() {
    let (code, json, _) = tern(&["phone", "parse", "+61 412 345 678"], b"");
    assert_eq!(code, 0);
    assert_eq!(
        (
            json["e164"].clone(),
            json["country"].clone(),
            json["mms_supported"].clone()
        ),
        ("+61412345678".into(), "AU".into(), true.into())
    );

    let (code, json, _) = tern(
        &[
            "phone",
            "parse",
            "020 7946 0958",
            "+1 555 555 5555",
            "--region",
            "GB",
        ],
        b"",
    );
    assert_eq!(code, 1);
    assert_eq!(json[0]["e164"], "+442079460958");
    assert_eq!(json[0]["mms_supported"], false);
    assert_eq!(json[1]["ok"], false);
    assert!(
        json[1]["error"]
            .as_str()
            .unwrap()
            .contains("not a valid phone number")
    );
}

#[test]
fn media_check_reports_every_file() {
    let dir = std::env::temp_dir().join(format!("tern-cli-media-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let gif = dir.join("pixel.gif");
    std::fs::write(&gif, PIXEL_GIF).unwrap();
    let (code, json, _) = tern(&["media", "check", gif.to_str().unwrap()], b"");
    assert_eq!(code, 0, "{json}");
    assert_eq!(
        (
            json["format"].clone(),
            json["mime"].clone(),
            json["frames"].clone()
        ),
        ("gif".into(), "image/gif".into(), 1.into())
    );
    assert_eq!(json["bytes"], PIXEL_GIF.len());

    let missing = dir.join("missing.png");
    let (code, json, _) = tern(
        &[
            "media",
            "check",
            gif.to_str().unwrap(),
            missing.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(code, 1);
    assert_eq!(json[0]["ok"], true);
    assert_eq!(json[1]["errors"][0]["code"], "unreadable");
    std::fs::remove_dir_all(dir).unwrap();
}

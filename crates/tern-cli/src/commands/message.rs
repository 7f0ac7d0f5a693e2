//! `tern message inspect`: the encoding, length and segments of a body read from stdin.

use std::io::Read;

use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use tern_domain::text::{Channel, SegmentCap, inspect};

use super::{Verdict, print_json};

#[derive(Subcommand)]
pub enum MessageCommand {
    /// Read a message body from stdin, exactly as given, and print its figures as JSON.
    Inspect {
        #[arg(long, value_enum)]
        channel: ChannelArg,
        /// The most segments one SMS may cost (1 to 10).
        #[arg(long, default_value_t = SegmentCap::default())]
        max_segments: SegmentCap,
        /// Print JSON (the only format; accepted for scripts that ask for it).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ChannelArg {
    Sms,
    Mms,
}

impl MessageCommand {
    pub fn run(self) -> anyhow::Result<Verdict> {
        let Self::Inspect {
            channel,
            max_segments,
            json: _,
        } = self;
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("read the message from stdin")?;
        let text = String::from_utf8(bytes).map_err(|e| {
            anyhow::anyhow!(
                "the message is not valid UTF-8 (byte {})",
                e.utf8_error().valid_up_to()
            )
        })?;
        let channel = match channel {
            ChannelArg::Sms => Channel::Sms,
            ChannelArg::Mms => Channel::Mms,
        };
        let report = inspect(&text, channel, max_segments);
        print_json(std::slice::from_ref(&report))?;
        Ok(Verdict::all([report.fits]))
    }
}

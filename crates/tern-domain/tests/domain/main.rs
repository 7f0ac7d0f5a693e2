//! The rules core against outside references: Twilio's segment calculator, real image files,
//! and the text limits. One test binary.

mod calculator_oracle;
mod media;
mod text_limits;

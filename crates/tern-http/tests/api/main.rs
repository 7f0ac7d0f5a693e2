//! The API, black-box over HTTP: one app on port 0 and a fresh database per test.

mod access;
mod admin;
mod after_launch;
mod auth;
mod campaign_design;
mod campaign_figures;
mod campaign_send;
mod campaigns;
mod contact_profile;
mod contacts;
mod head_of_line;
mod imports;
mod isolation;
mod media;
mod openapi;
mod ops;
mod panel;
mod panel_states;
mod report;
mod segment_client;
mod segments;
mod settings;
mod tracking;
mod triggers;
mod webhooks;
mod writer;

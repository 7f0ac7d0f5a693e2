//! "Write with AI" in the Design step: drafts from the operator's AI endpoint, each cleaned,
//! composed as a recipient would get it (footer, shortened links, fallbacks) and counted by
//! Tern's own rules. A draft that does not fit, or breaks the brand voice, goes back to the
//! model once; then it is dropped with the reason. Nothing that does not fit is shown as fitting.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tern_domain::{
    account::format_price,
    campaign::{
        CampaignType, Channel, Step,
        design::{Composed, OutsideMms, replace_links, route, too_long_message},
    },
    template::Values,
    text::{self, SegmentCap, TextReport},
    writer::{self, Alphabet, Brief, BriefFields, Note, Rejection},
};
use tern_store::{Account, CampaignRecord};
use utoipa::ToSchema;

use super::{
    Checked, StepContext, check_steps,
    preview::preview_code,
    views::{campaign_id, with_unsaved_design},
};
use crate::{AiFailure, AppError, AppResult, AppState};

/// The most earlier drafts a "More" request may list.
const MAX_EARLIER: usize = 50;

/// What the marketer asks for.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct BriefBody {
    /// The product or offer (required, at most 500 characters).
    pub offer: Option<String>,
    /// What the reader should do, e.g. "book a fitting" (at most 200).
    pub goal: Option<String>,
    /// E.g. "playful" (at most 60).
    pub tone: Option<String>,
    /// The language to write in; English by default.
    pub language: Option<String>,
    /// Whether drafts may use emoji (never under `gsm7`); no by default.
    pub emoji: Option<bool>,
    /// `gsm7` (160 characters a segment; the default for SMS) or `any` (a draft with other
    /// characters is counted as UCS-2, 70 a segment; the default for MMS).
    pub encoding: Option<String>,
    /// Drafts wanted, 1 to 10; 5 by default.
    pub count: Option<u32>,
    /// A link Tern adds after each draft (shortened and tracked like the template's links).
    pub link: Option<String>,
}

/// A request for drafts.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuggestionsRequest {
    #[serde(default)]
    pub brief: BriefBody,
    /// An unsaved Design step to write for (as `PUT …/steps/design` takes it); by default the
    /// saved one. Its footer, segment cap, channel and media decide what fits.
    #[schema(value_type = Option<Object>)]
    pub design: Option<Value>,
    /// Drafts already shown ("More"): new drafts differ from them. At most 50.
    #[serde(default)]
    pub earlier: Vec<String>,
}

/// One draft that fits.
#[derive(Serialize, ToSchema)]
pub struct DraftView {
    /// The body for the editor: the draft, with the brief's link when one was given.
    pub text: String,
    /// The message as a recipient of whom nothing is known gets it: footer added, links
    /// shortened (codes here are stand-ins of the real length), each `default` applied.
    pub message: String,
    /// The route its counters are for: `sms`, `mms` or `sms_with_link`.
    pub route: String,
    /// The counters of the Design step for `message`: `encoding`, `characters`, `units`,
    /// `segments` (SMS), `limit`, `fits`.
    #[schema(value_type = Object)]
    pub counters: TextReport,
    /// Always true: a draft that does not fit is never listed here.
    pub fits: bool,
    /// What one message costs in each country the account has a sender and a price for.
    pub cost: Vec<DraftCost>,
    /// Remarks that do not stop the draft: `opt_out_missing`, `shaft`, `spam_words`,
    /// `public_shortener`, `shouting`.
    #[schema(value_type = Vec<Object>)]
    pub notes: Vec<Note>,
    /// Whether the model rewrote it once to fit.
    pub rewritten: bool,
}

/// One message's price in a country.
#[derive(Serialize, ToSchema)]
pub struct DraftCost {
    pub country: String,
    /// A decimal in `currency`, e.g. "0.0158".
    pub price: String,
    pub currency: String,
}

/// A draft the model wrote that is not shown, and why.
#[derive(Serialize, ToSchema)]
pub struct DroppedDraft {
    pub text: String,
    /// `too_long`, `not_gsm7`, `avoided_words`, `repeated`, `empty`, `template` or `link`.
    pub reason: String,
    pub message: String,
}

/// The drafts, with what they were asked under.
#[derive(Serialize, ToSchema)]
pub struct SuggestionsView {
    pub drafts: Vec<DraftView>,
    pub dropped: Vec<DroppedDraft>,
    /// The characters each draft was asked to fit in.
    pub budget: u32,
    /// `gsm7` or `any`.
    pub encoding: String,
    pub model: String,
    /// How the endpoint was asked for JSON: `json_schema`, `json_object` or `none`.
    pub structured_output: String,
    /// Drafts in the model's first answer, and how many of them fit before any rewrite.
    pub answered: usize,
    pub fit_before_rewrite: usize,
    pub elapsed_ms: u64,
}

/// What the design limits a message to and adds to it.
struct Shape {
    cap: SegmentCap,
    /// Whether the account's opt-out footer is added.
    footer: bool,
    outside: OutsideMms,
}

/// The design's shape, with the brief's link as added to every draft.
struct Frame {
    shape: Shape,
    /// ` {link}` when the brief gives one.
    link_suffix: String,
}

/// A draft that fits, composed on each route of the campaign (the main one first).
struct Accepted {
    body: String,
    composed: Vec<Composed>,
}

/// Writes drafts for campaign `id`'s Design step.
pub async fn suggestions(
    state: &AppState,
    account: &Account,
    id: &str,
    request: SuggestionsRequest,
) -> AppResult<SuggestionsView> {
    let started = std::time::Instant::now();
    let mut campaign = state.store.campaign(account.id, campaign_id(id)?).await?;
    let writer = state.writer.as_ref().ok_or_else(|| {
        AppError::ai(
            AiFailure::NotConfigured,
            "no AI endpoint is configured: the operator sets TERN_AI_URL (an OpenAI-compatible \
             base such as http://127.0.0.1:11434/v1) and TERN_AI_MODEL",
        )
    })?;
    with_unsaved_design(&mut campaign, request.design)?;
    let context = StepContext::load(state, account, &campaign).await?;
    if !context.settings.ai_writer {
        return Err(AppError::ai(
            AiFailure::Off,
            "the AI writer is turned off in this account's settings (ai_writer)",
        ));
    }
    let earlier = earlier(request.earlier)?;
    let default_alphabet = match campaign.channel {
        Channel::Sms => Alphabet::Gsm7,
        Channel::Mms => Alphabet::Any,
    };
    let brief = Brief::check(brief_fields(request.brief), default_alphabet)?;
    let (frame, budget) = frame(&context, &campaign, &brief)?;
    writer.admit(account.id)?;

    let voice = &context.settings.brand_voice;
    let endpoint = &writer.endpoint;
    let deadline = tokio::time::Instant::now() + endpoint.config.timeout;
    let judge =
        |raw: &str, taken: &[String]| judge(&context, &campaign, &brief, &frame, raw, taken);

    let asked = writer::ask(&brief, voice, budget, frame.shape.footer, recent(&earlier));
    let content = endpoint
        .complete(
            &asked,
            &writer::answer_schema(brief.count, budget),
            max_tokens(brief.count, budget),
            deadline,
        )
        .await?;
    let texts = read(&content)?;
    let answered = texts.len();
    let mut taken = earlier;
    let mut accepted = Vec::new();
    let mut rejected = Vec::new();
    for raw in texts.iter().take(brief.count) {
        match judge(raw, &taken) {
            Ok(draft) => {
                taken.push(draft.body.clone());
                accepted.push((draft, false));
            }
            Err(rejection) => rejected.push(rejection),
        }
    }
    let fit_before_rewrite = accepted.len();

    let mut dropped = Vec::new();
    if !rejected.is_empty() {
        let fixes: Vec<(String, String)> = rejected
            .iter()
            .map(|(text, why)| (text.clone(), why.instruction(budget)))
            .collect();
        let again = writer::ask_again(&brief, voice, budget, frame.shape.footer, &fixes);
        let answer = endpoint
            .complete(
                &again,
                &writer::answer_schema(fixes.len(), budget),
                max_tokens(fixes.len(), budget),
                deadline,
            )
            .await
            .and_then(|content| read(&content));
        match answer {
            Ok(rewritten) => {
                for (i, (text, why)) in rejected.into_iter().enumerate() {
                    let Some(raw) = rewritten.get(i) else {
                        dropped.push(drop(text, &why, "(not rewritten)"));
                        continue;
                    };
                    match judge(raw, &taken) {
                        Ok(draft) => {
                            taken.push(draft.body.clone());
                            accepted.push((draft, true));
                        }
                        Err((text, why)) => dropped.push(drop(text, &why, "")),
                    }
                }
            }
            Err(error) => {
                tracing::info!(error = %error.described(), "the AI endpoint did not rewrite the drafts that did not fit");
                let after = format!("(not rewritten: {error})");
                dropped.extend(
                    rejected
                        .into_iter()
                        .map(|(text, why)| drop(text, &why, &after)),
                );
            }
        }
    }

    Ok(SuggestionsView {
        drafts: accepted
            .into_iter()
            .map(|(draft, rewritten)| view(&context, &campaign, &frame, draft, rewritten))
            .collect(),
        dropped,
        budget,
        encoding: match brief.alphabet {
            Alphabet::Gsm7 => "gsm7",
            Alphabet::Any => "any",
        }
        .to_owned(),
        model: endpoint.config.model.clone(),
        structured_output: endpoint.structured_output().to_owned(),
        answered,
        fit_before_rewrite,
        elapsed_ms: started.elapsed().as_millis() as u64,
    })
}

fn brief_fields(body: BriefBody) -> BriefFields {
    BriefFields {
        offer: body.offer,
        goal: body.goal,
        tone: body.tone,
        language: body.language,
        emoji: body.emoji,
        encoding: body.encoding,
        count: body.count,
        link: body.link,
    }
}

fn earlier(list: Vec<String>) -> AppResult<Vec<String>> {
    if list.len() > MAX_EARLIER {
        return Err(AppError::invalid(
            "earlier",
            format!("at most {MAX_EARLIER} earlier drafts"),
        ));
    }
    if let Some(i) = list.iter().position(|t| t.chars().count() > 1600) {
        return Err(AppError::invalid(
            format!("earlier[{i}]"),
            "at most 1600 characters",
        ));
    }
    Ok(list)
}

/// The most characters of earlier drafts the model is shown (all of them still count as
/// repeats): enough to steer it, not a hosted model's bill.
const EARLIER_IN_PROMPT: usize = 5_000;

/// The latest earlier drafts that fit in [`EARLIER_IN_PROMPT`].
fn recent(earlier: &[String]) -> &[String] {
    let mut total = 0;
    let kept = earlier
        .iter()
        .rev()
        .take_while(|t| {
            total += t.chars().count();
            total <= EARLIER_IN_PROMPT
        })
        .count();
    &earlier[earlier.len() - kept..]
}

/// The most characters of one draft that are judged (and shown when dropped).
const MAX_DRAFT_READ: usize = 2_000;

fn read(content: &str) -> AppResult<Vec<String>> {
    let drafts = writer::read_drafts(content)
        .map_err(|e| AppError::ai(AiFailure::BadOutput, e.to_string()))?;
    Ok(drafts
        .into_iter()
        .map(|d| d.chars().take(MAX_DRAFT_READ).collect())
        .collect())
}

/// Tokens enough for `count` drafts of `budget` characters in JSON, in any language (a
/// character of Chinese or an emoji can take more than one token).
pub fn max_tokens(count: usize, budget: u32) -> u32 {
    (count as u32 * (budget * 3 / 2 + 24) + 64).clamp(256, 8192)
}

fn drop(text: String, why: &Rejection, after: &str) -> DroppedDraft {
    let message = if after.is_empty() {
        why.message()
    } else {
        format!("{} {after}", why.message())
    };
    DroppedDraft {
        text,
        reason: why.code().to_owned(),
        message,
    }
}

/// What the design adds to each draft and the characters left for it: the budget on the
/// tightest route the campaign uses.
fn frame(
    context: &StepContext,
    campaign: &CampaignRecord,
    brief: &Brief,
) -> AppResult<(Frame, u32)> {
    let link_suffix = brief
        .link
        .as_ref()
        .map(|l| format!(" {l}"))
        .unwrap_or_default();
    let no_room = || {
        AppError::invalid(
            "brief",
            "the footer, the link and the segment cap leave fewer than 20 characters for the \
             message: raise the segment cap or shorten the footer",
        )
    };
    let (shape, composed) = match measure(context, campaign, &format!("X{link_suffix}")) {
        Ok(measured) => measured,
        Err(Rejection::TooLong(_)) => return Err(no_room()),
        Err(why) => return Err(AppError::invalid("design", why.message())),
    };
    // What decides the limit must be right before drafts are fitted to it (a picture may
    // still be missing: it changes no limit).
    let checked = check_steps(context, campaign);
    if let Some(p) = design_problems(&checked)
        .iter()
        .find(|p| p.field != "body" && p.field != "media")
    {
        return Err(AppError::invalid(
            "design",
            format!("fix the Design step first: {}: {}", p.field, p.message),
        ));
    }
    let budget = composed
        .iter()
        .map(|c| {
            let tail = c.text.strip_prefix('X').unwrap_or(&c.text);
            writer::budget(tail, c.route.channel(), shape.cap, brief.alphabet)
        })
        .min()
        .flatten()
        .ok_or_else(no_room)?;
    Ok((Frame { shape, link_suffix }, budget))
}

/// `body` in the campaign's design, checked as the Design step checks it and composed for a
/// recipient of whom nothing is known on each of its routes: the design's shape and the texts,
/// or why it does not work.
fn measure(
    context: &StepContext,
    campaign: &CampaignRecord,
    body: &str,
) -> Result<(Shape, Vec<Composed>), Rejection> {
    let mut campaign = campaign.clone();
    let step = campaign
        .steps
        .entry(Step::Design.as_str().to_owned())
        .or_insert_with(|| json!({}));
    if !step.is_object() {
        *step = json!({});
    }
    step["body"] = json!(body);
    let checked = check_steps(context, &campaign);
    let body_problems = || {
        design_problems(&checked)
            .iter()
            .filter(|p| p.field == "body")
    };
    if let Some(p) = body_problems().find(|p| p.code == "too_long") {
        return Err(Rejection::TooLong(p.message.clone()));
    }
    if let Some(p) = body_problems().next() {
        return Err(Rejection::Template(p.message.clone()));
    }
    let Some(design) = checked.design else {
        return Err(Rejection::Template(
            "the Design step cannot be composed: fix its problems first".to_owned(),
        ));
    };
    let nobody = Values::nobody(campaign.kind == CampaignType::CartReminder);
    let pictures = vec![context.sample_link(); design.pictures()];
    let footer = &context.settings.opt_out_footer;
    let mut composed = Vec::new();
    for route in design.routes(campaign.channel) {
        let short = |url: &str| format!("{}/l/{}", context.public_url, preview_code(url));
        let c = design
            .compose(
                &nobody,
                *route,
                footer,
                &pictures,
                &context.settings.own_domains,
                short,
            )
            .map_err(|e| Rejection::Template(e.0))?;
        if !c.counters.fits {
            return Err(Rejection::TooLong(too_long_message(&c)));
        }
        composed.push(c);
    }
    let shape = Shape {
        cap: design.max_segments,
        footer: design.opt_out_footer && !footer.trim().is_empty(),
        outside: design.outside_mms,
    };
    Ok((shape, composed))
}

/// A draft as the model wrote it, cleaned and judged: accepted with its composed texts, or
/// the cleaned text with why it is not.
fn judge(
    context: &StepContext,
    campaign: &CampaignRecord,
    brief: &Brief,
    frame: &Frame,
    raw: &str,
    taken: &[String],
) -> Result<Accepted, (String, Rejection)> {
    let cleaned = writer::clean(raw, brief.alphabet, brief.emoji);
    let reject = |why| Err((cleaned.clone(), why));
    if cleaned.is_empty() {
        return reject(Rejection::Empty);
    }
    // A draft is plain text: markup would be counted for a recipient of whom nothing is known,
    // and personalised only where the marketer puts it.
    if cleaned.contains("{{") || cleaned.contains("{%") {
        return reject(Rejection::Template(
            "uses template markup; drafts are plain text (personalise in the editor)".to_owned(),
        ));
    }
    if writes_own_link(&cleaned, brief.link.as_deref()) {
        return reject(Rejection::Link);
    }
    let body = match &brief.link {
        Some(link) if !cleaned.contains(link.as_str()) => format!("{cleaned}{}", frame.link_suffix),
        _ => cleaned.clone(),
    };
    if taken
        .iter()
        .any(|t| same_text(t, &body) || same_text(t, &cleaned))
    {
        return reject(Rejection::Repeated);
    }
    let avoided = writer::avoided_words(&cleaned, &context.settings.brand_voice);
    if !avoided.is_empty() {
        return reject(Rejection::AvoidedWords(avoided));
    }
    if brief.alphabet == Alphabet::Gsm7 {
        let report = text::inspect(&cleaned, text::Channel::Sms, frame.shape.cap);
        if !report.ucs2_characters.is_empty() {
            let mut chars: Vec<String> = report
                .ucs2_characters
                .into_iter()
                .map(|c| c.character)
                .collect();
            chars.dedup();
            return reject(Rejection::NotGsm7(chars));
        }
    }
    match measure(context, campaign, &body) {
        Ok((_, composed)) => Ok(Accepted { body, composed }),
        Err(why) => reject(why),
    }
}

/// Whether `text` holds a web address other than the brief's link: a link (each must be the
/// brief's exactly), or what a phone would make one (`www.…`, a bare domain).
fn writes_own_link(text: &str, link: Option<&str>) -> bool {
    let mut foreign = false;
    let rest = replace_links(text, |url| {
        foreign |= Some(url) != link;
        " ".to_owned()
    });
    let rest = rest.to_ascii_lowercase();
    foreign
        || rest.contains("http")
        || rest.contains("www.")
        || rest.contains("://")
        || rest.split_whitespace().any(looks_like_domain)
}

/// Top-level domains phones turn into links when written bare (`shop.com`).
const LINKED_TLDS: &[&str] = &[
    "com", "net", "org", "io", "co", "us", "uk", "ca", "au", "de", "fr", "es", "it", "nl", "shop",
    "store", "app", "ly", "me", "info", "biz", "xyz", "site", "online", "link", "ai",
];

fn looks_like_domain(word: &str) -> bool {
    word.split(['/', '@', '?', '#', ':', ','])
        .any(|part| is_domain(part.trim_matches(|c: char| !c.is_ascii_alphanumeric())))
}

fn is_domain(word: &str) -> bool {
    let Some((name, tld)) = word.rsplit_once('.') else {
        return false;
    };
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        && LINKED_TLDS.contains(&tld)
}

fn same_text(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    norm(a) == norm(b)
}

fn view(
    context: &StepContext,
    campaign: &CampaignRecord,
    frame: &Frame,
    draft: Accepted,
    rewritten: bool,
) -> DraftView {
    let main = &draft.composed[0];
    let prices = &context.settings.prices;
    let cost = context
        .settings
        .senders
        .iter()
        .filter_map(|sender| {
            let route = route(campaign.channel, frame.shape.outside, &sender.country)?;
            let composed = draft.composed.iter().find(|c| c.route == route)?;
            let micros = prices.message_price(
                &sender.country,
                route.channel(),
                composed.counters.segments.unwrap_or(1),
            )?;
            Some(DraftCost {
                country: sender.country.clone(),
                price: format_price(micros),
                currency: prices.currency.clone(),
            })
        })
        .collect();
    DraftView {
        notes: writer::notes(&draft.body, frame.shape.footer),
        message: main.text.clone(),
        route: serde_json::to_value(main.route)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        counters: main.counters.clone(),
        fits: main.counters.fits,
        cost,
        rewritten,
        text: draft.body,
    }
}

/// The Design step's problems among a campaign's checked steps.
fn design_problems(checked: &Checked) -> &[tern_domain::campaign::steps::StepProblem] {
    checked
        .steps
        .iter()
        .find(|(step, _)| *step == Step::Design)
        .map(|(_, problems)| problems.as_slice())
        .unwrap_or_default()
}

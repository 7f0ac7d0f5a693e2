//! The Design step: the body as a Liquid template, media (MMS only), link shortening, the
//! opt-out footer, the SMS segment cap, and what MMS recipients outside AU/CA/US get. Also how a
//! recipient's final text is composed from it, so the preview, the checks and the sender agree.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    CampaignType, Channel,
    steps::{StepProblem, object, problem},
};
use crate::{
    account::InvalidSetting,
    domains::{is_own_url, plain_origin},
    ids::MediaId,
    phone::MMS_COUNTRIES,
    template::{self, Template, Values, Vocabulary},
    text::{self, SegmentCap, TextReport},
};

mod fallbacks;

pub use fallbacks::{FallbackWarning, suggested_fallback};

/// Characters of a tracked link's code (`/l/{code}`).
pub const SHORT_CODE_LEN: usize = 8;
/// Most pictures in one MMS: the product sends one picture a message (Twilio would take 10).
pub const MAX_MEDIA: usize = 1;
/// Most bytes of all of one MMS's pictures together.
pub const MAX_MMS_BYTES: u64 = 5 * 1024 * 1024;

/// What MMS recipients outside Australia, Canada and the USA get.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutsideMms {
    /// Nothing: they are skipped with that reason.
    #[default]
    Skip,
    /// The text as an SMS, with a short link to each picture.
    SmsWithLink,
}

/// A checked design.
#[derive(Debug)]
pub struct Design {
    pub body: String,
    pub template: Template,
    /// The origins of the links the body writes literally (`written_links`), read once here
    /// rather than for each recipient.
    pub written_origins: Vec<String>,
    pub media: Vec<MediaId>,
    pub shorten_links: bool,
    pub opt_out_footer: bool,
    pub max_segments: SegmentCap,
    pub outside_mms: OutsideMms,
    /// A Cart Reminder MMS carries the cart's first product's own picture (fetched from the
    /// account's own domains) instead of `media`, which stays the fallback.
    pub product_picture: bool,
}

/// What the check needs to know besides the step's JSON.
pub struct DesignRules<'a> {
    pub kind: CampaignType,
    pub channel: Channel,
    pub vocabulary: &'a Vocabulary,
    /// Why this account may not send MMS, if it may not.
    pub mms_refusal: Option<InvalidSetting>,
    /// The account's opt-out footer text.
    pub footer: &'a str,
    /// A shortened link as recipients will see it: its length counts.
    pub sample_link: &'a str,
}

/// The size of one of the account's media items, to bound an MMS.
#[derive(Debug, Clone, Copy)]
pub struct MediaFacts {
    pub bytes: u64,
}

/// How one recipient is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    Sms,
    Mms,
    /// An MMS campaign's text as SMS, with links to the pictures.
    SmsWithLink,
}

impl Route {
    pub fn channel(self) -> text::Channel {
        match self {
            Self::Mms => text::Channel::Mms,
            Self::Sms | Self::SmsWithLink => text::Channel::Sms,
        }
    }
}

/// How a recipient with a number of `country` is reached, or `None` when an MMS campaign skips
/// them.
pub fn route(channel: Channel, outside: OutsideMms, country: &str) -> Option<Route> {
    match channel {
        Channel::Sms => Some(Route::Sms),
        Channel::Mms if MMS_COUNTRIES.contains(&country) => Some(Route::Mms),
        Channel::Mms => match outside {
            OutsideMms::Skip => None,
            OutsideMms::SmsWithLink => Some(Route::SmsWithLink),
        },
    }
}

const FIELDS: [&str; 8] = [
    "body",
    "product_picture",
    "media",
    "shorten_links",
    "opt_out_footer",
    "max_segments",
    "outside_mms_countries",
    "channel",
];

fn flag(
    object: &serde_json::Map<String, Value>,
    key: &str,
    problems: &mut Vec<StepProblem>,
) -> bool {
    match object.get(key) {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            problems.push(problem(key, "invalid", "true or false"));
            true
        }
    }
}

/// Checks a Design step. `media` answers for the account's own items only. The design comes
/// back whenever its template can render (for the preview), with every problem found.
pub fn check_design(
    json: &Value,
    rules: &DesignRules,
    media: impl Fn(MediaId) -> Option<MediaFacts>,
) -> (Option<Design>, Vec<StepProblem>) {
    let mut problems = Vec::new();
    let Some(object) = object(json, &FIELDS, &mut problems) else {
        return (None, problems);
    };
    if rules.channel == Channel::Mms
        && let Some(refusal) = &rules.mms_refusal
    {
        problems.push(problem(
            "channel",
            "mms_unavailable",
            refusal.message.clone(),
        ));
    }
    let body = match object.get("body") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            problems.push(problem("body", "invalid", "the message text, as a string"));
            String::new()
        }
    };
    let ids = media_ids(object.get("media"), rules.channel, &mut problems);
    let mut total = 0;
    let mut ids_found = Vec::new();
    for (i, id) in ids.into_iter().enumerate() {
        match media(id) {
            Some(facts) => {
                total += facts.bytes;
                ids_found.push(id);
            }
            None => problems.push(problem(
                format!("media[{i}]"),
                "unknown_media",
                "no media item of this account has this id",
            )),
        }
    }
    let ids = ids_found;
    if total > MAX_MMS_BYTES {
        problems.push(problem(
            "media",
            "too_large",
            format!(
                "the pictures add up to {total} bytes; one MMS carries at most {MAX_MMS_BYTES}"
            ),
        ));
    }
    if body.trim().is_empty() && (rules.channel == Channel::Sms || ids.is_empty()) {
        let what = if rules.channel == Channel::Sms {
            "write the message text"
        } else {
            "write the message text or add a picture"
        };
        problems.push(problem("body", "required", what));
    }
    let shorten_links = flag(object, "shorten_links", &mut problems);
    let opt_out_footer = flag(object, "opt_out_footer", &mut problems);
    let max_segments = match object.get("max_segments") {
        None | Some(Value::Null) => SegmentCap::default(),
        Some(v) => match v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(SegmentCap::try_from)
        {
            Some(Ok(cap)) => cap,
            _ => {
                problems.push(problem(
                    "max_segments",
                    "out_of_range",
                    format!("a whole number from 1 to {}", text::MAX_SMS_SEGMENTS),
                ));
                SegmentCap::default()
            }
        },
    };
    let outside_mms = match object.get("outside_mms_countries") {
        None | Some(Value::Null) => OutsideMms::Skip,
        Some(v) => serde_json::from_value(v.clone()).unwrap_or_else(|_| {
            problems.push(problem(
                "outside_mms_countries",
                "invalid",
                "skip or sms_with_link",
            ));
            OutsideMms::Skip
        }),
    };
    if rules.channel == Channel::Sms && outside_mms != OutsideMms::Skip {
        problems.push(problem(
            "outside_mms_countries",
            "invalid",
            "only an MMS campaign has recipients outside the MMS countries",
        ));
    }
    let product_picture = match object.get("product_picture") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            problems.push(problem("product_picture", "invalid", "true or false"));
            false
        }
    };
    if product_picture
        && (rules.kind != CampaignType::CartReminder || rules.channel != Channel::Mms)
    {
        problems.push(problem(
            "product_picture",
            "invalid",
            "only a Cart Reminder sent as MMS carries the product's picture",
        ));
    }
    let vocabulary = Vocabulary {
        cart: rules.kind == CampaignType::CartReminder,
        ..rules.vocabulary.clone()
    };
    let template = match template::check(&body, &vocabulary) {
        Ok(template) => Some(template),
        Err(found) => {
            problems.extend(found.into_iter().map(|p| StepProblem {
                field: "body".into(),
                code: p.code,
                message: p.message,
                position: Some(p.position),
            }));
            None
        }
    };
    let Some(template) = template else {
        return (None, problems);
    };
    let design = Design {
        written_origins: written_links(&body),
        body,
        template,
        media: ids,
        shorten_links,
        opt_out_footer,
        max_segments,
        outside_mms,
        product_picture,
    };
    problems.extend(design.length_problems(rules));
    (Some(design), problems)
}

fn media_ids(
    value: Option<&Value>,
    channel: Channel,
    problems: &mut Vec<StepProblem>,
) -> Vec<MediaId> {
    let items = match value {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Array(items)) => items,
        Some(_) => {
            problems.push(problem("media", "invalid", "a list of media ids"));
            return Vec::new();
        }
    };
    if items.is_empty() {
        return Vec::new();
    }
    if channel == Channel::Sms {
        problems.push(problem(
            "media",
            "mms_only",
            "pictures travel only by MMS: switch the channel to MMS or remove them",
        ));
        return Vec::new();
    }
    if items.len() > MAX_MEDIA {
        problems.push(problem(
            "media",
            "too_many",
            "an MMS carries one picture; remove all but one",
        ));
    }
    let mut ids: Vec<MediaId> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match item.as_str().and_then(|s| s.parse::<MediaId>().ok()) {
            Some(id) if ids.contains(&id) => problems.push(problem(
                format!("media[{i}]"),
                "duplicate",
                "this picture is already in the message",
            )),
            Some(id) => ids.push(id),
            None => problems.push(problem(format!("media[{i}]"), "invalid", "a media id")),
        }
    }
    ids
}

/// A link as written and as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    pub url: String,
    pub short: String,
}

/// One recipient's final text and what it costs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Composed {
    pub route: Route,
    pub text: String,
    pub links: Vec<Link>,
    pub counters: TextReport,
}

impl Design {
    /// How a recipient with a number of `country` is reached, or `None` when an MMS campaign
    /// skips them.
    pub fn route(&self, channel: Channel, country: &str) -> Option<Route> {
        route(channel, self.outside_mms, country)
    }

    /// How many pictures a message may carry: the design's, or a Cart Reminder's product
    /// picture where it has none (each a link on [`Route::SmsWithLink`]).
    pub fn pictures(&self) -> usize {
        self.media.len().max(usize::from(self.product_picture))
    }

    /// The routes this design's messages take on `channel`, the main one first.
    pub fn routes(&self, channel: Channel) -> &'static [Route] {
        match (channel, self.outside_mms) {
            (Channel::Sms, _) => &[Route::Sms],
            (Channel::Mms, OutsideMms::Skip) => &[Route::Mms],
            (Channel::Mms, OutsideMms::SmsWithLink) => &[Route::Mms, Route::SmsWithLink],
        }
    }

    /// The final text: the rendered body with links shortened, picture links for
    /// [`Route::SmsWithLink`], and the footer. `shorten` gives each link's short form.
    ///
    /// Only links the template wrote are shortened (and so tracked on the business's own short
    /// domain), and links from data (a contact's attribute, an event's property) only when they
    /// point to one of `own_domains`: anyone who can write an attribute must not be able to
    /// put their address behind the business's short links. Other links are sent as written.
    pub fn compose(
        &self,
        values: &Values,
        route: Route,
        footer: &str,
        media_urls: &[String],
        own_domains: &[String],
        mut shorten: impl FnMut(&str) -> String,
    ) -> Result<Composed, template::RenderError> {
        let body = self.template.render(values)?;
        let mut links = Vec::new();
        let mut text = if self.shorten_links {
            replace_links(&body, |url| {
                let from_template =
                    plain_origin(url).is_some_and(|(o, _)| self.written_origins.contains(&o));
                if !from_template && !is_own_url(url, own_domains) {
                    return url.to_owned();
                }
                let short = shorten(url);
                links.push(Link {
                    url: url.to_owned(),
                    short: short.clone(),
                });
                short
            })
        } else {
            body
        };
        if route == Route::SmsWithLink {
            for url in media_urls {
                let short = shorten(url);
                links.push(Link {
                    url: url.clone(),
                    short: short.clone(),
                });
                append_line(&mut text, &short);
            }
        }
        if self.opt_out_footer && !footer.trim().is_empty() {
            append_line(&mut text, footer.trim());
        }
        let counters = text::inspect(&text, route.channel(), self.max_segments);
        Ok(Composed {
            route,
            text,
            links,
            counters,
        })
    }

    /// The length check at design time: the text for a recipient of whom nothing is known (so
    /// each `default` applies), on each route the campaign uses.
    fn length_problems(&self, rules: &DesignRules) -> Vec<StepProblem> {
        let pictures = vec![rules.sample_link.to_owned(); self.pictures()];
        let mut problems = Vec::new();
        let nobody = Values::nobody(rules.kind == CampaignType::CartReminder);
        for route in self.routes(rules.channel) {
            let composed = self.compose(&nobody, *route, rules.footer, &pictures, &[], |_| {
                rules.sample_link.to_owned()
            });
            match composed {
                Ok(c) if !c.counters.fits => {
                    problems.push(problem("body", "too_long", too_long_message(&c)))
                }
                Ok(_) => {}
                Err(error) => problems.push(problem(
                    "body",
                    "render_failed",
                    format!("the template fails for a contact with no attributes: {error}"),
                )),
            }
        }
        problems
    }
}

/// Why a composed text does not fit, in a marketer's words (characters, never septets or
/// UTF-16 units).
pub fn too_long_message(c: &Composed) -> String {
    let r = &c.counters;
    let footer = "with the footer and shortened links";
    match c.route {
        Route::Mms => format!(
            "{footer}, the text is {} characters; an MMS carries at most {}",
            r.units, r.limit
        ),
        Route::Sms | Route::SmsWithLink => {
            let what = if c.route == Route::Sms {
                "the SMS"
            } else {
                "the SMS sent outside the US, Canada and Australia (with picture links)"
            };
            let unit = match r.encoding {
                text::Encoding::Gsm7 => "GSM-7 characters (extension characters count 2)",
                text::Encoding::Ucs2 => "characters (UCS-2)",
            };
            format!(
                "{footer}, {what} needs {} {unit} in {} segments; the cap allows {}",
                r.units,
                r.segments.unwrap_or(0),
                r.limit
            )
        }
    }
}

fn append_line(text: &mut String, line: &str) {
    if !text.is_empty() {
        text.push('\n');
    }
    text.push_str(line);
}

/// Replaces each `http://` or `https://` address in `text` with what `replace` returns. An
/// address ends at whitespace; trailing punctuation stays outside it.
pub fn replace_links(text: &str, mut replace: impl FnMut(&str) -> String) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = find_link_start(rest) {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let mut end = tail.find(char::is_whitespace).unwrap_or(tail.len());
        while end > 0 && tail[..end].ends_with(['.', ',', ';', ':', '!', '?', ')', ']', '\'', '"'])
        {
            end -= 1;
        }
        let url = &tail[..end];
        if url.len() > "https://".len() {
            out.push_str(&replace(url));
        } else {
            out.push_str(url);
        }
        // `end` stays past the scheme, which ends in `/`: the loop moves on.
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// The origins of the links a template writes literally (an authority with markup in it counts
/// as none): a rendered link with one of these origins came from the template, not from data.
fn written_links(source: &str) -> Vec<String> {
    let mut origins = Vec::new();
    replace_links(source, |url| {
        if let Some((origin, _)) = plain_origin(url) {
            origins.push(origin);
        }
        String::new()
    });
    origins
}

fn find_link_start(text: &str) -> Option<usize> {
    let lower = text.to_ascii_lowercase();
    let mut at = 0;
    while let Some(found) = lower[at..].find("http") {
        let start = at + found;
        let after = &lower[start..];
        let word_start = start == 0 || !text[..start].ends_with(|c: char| c.is_alphanumeric());
        if word_start && (after.starts_with("http://") || after.starts_with("https://")) {
            return Some(start);
        }
        at = start + 4;
    }
    None
}

#[cfg(test)]
mod tests;

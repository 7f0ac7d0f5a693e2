//! The AI writer's benchmark: drafts through Tern (`campaigns::suggestions`: the prompt, the
//! model, cleaning, composing and counting each draft, a rewrite when one does not fit) against
//! the same prompt sent straight to the model, the baseline any writer pays. Alternately,
//! `requests` times each; prints the medians, their ratio and how many drafts fit before a
//! rewrite.

use std::{sync::Arc, time::Instant};

use serde_json::json;
use tern_app::{
    campaigns::suggestions::{self, BriefBody, SuggestionsRequest, max_tokens},
    writer::{AiConfig, AiEndpoint, Writer},
};
use tern_domain::{
    campaign::CampaignStatus,
    writer::{self, Alphabet, BrandVoice, Brief, BriefFields},
};

use crate::{
    fixture::{Fixture, fixture},
    median,
};

const OFFER: &str = "Spring rain jackets, 20% off until Sunday";
const GOAL: &str = "visit the shop this week";
const LINK: &str = "https://shop.example/spring";

pub async fn run(
    dir: &std::path::Path,
    url: &str,
    model: &str,
    requests: usize,
    count: u32,
) -> anyhow::Result<()> {
    let Fixture {
        store,
        account,
        campaign,
        ..
    } = fixture(
        dir,
        "writer-bench.db",
        "Writer bench",
        CampaignStatus::Draft,
        json!({"design": {"body": "x", "max_segments": 1}}),
    )
    .await?;

    let config = AiConfig {
        url: url.trim_end_matches('/').to_owned(),
        model: model.to_owned(),
        api_key: None,
        timeout: std::time::Duration::from_secs(120),
    };
    let mut state = tern_testkit::state_for(store.clone(), dir, "http://127.0.0.1:8080");
    state.writer = Some(Arc::new(Writer::new(config.clone())));
    let direct = AiEndpoint::new(config);
    let brief = Brief::check(
        BriefFields {
            offer: Some(OFFER.into()),
            goal: Some(GOAL.into()),
            count: Some(count),
            link: Some(LINK.into()),
            ..Default::default()
        },
        Alphabet::Gsm7,
    )?;
    let id = campaign.id.to_string();
    let (mut tern_ms, mut model_ms) = (Vec::new(), Vec::new());
    let (mut answered, mut fit_first, mut shown, mut rewrites) = (0, 0, 0, 0);
    for _ in 0..requests {
        let request = SuggestionsRequest {
            brief: BriefBody {
                offer: Some(OFFER.into()),
                goal: Some(GOAL.into()),
                count: Some(count),
                link: Some(LINK.into()),
                ..Default::default()
            },
            design: None,
            earlier: Vec::new(),
        };
        let t = Instant::now();
        let view = suggestions::suggestions(&state, &account, &id, request)
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.described()))?;
        tern_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        answered += view.answered;
        fit_first += view.fit_before_rewrite;
        shown += view.drafts.len();
        rewrites += usize::from(view.fit_before_rewrite < view.answered);

        let asked = writer::ask(&brief, &BrandVoice::default(), view.budget, true, &[]);
        let schema = writer::answer_schema(brief.count, view.budget);
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(120);
        let t = Instant::now();
        direct
            .complete(
                &asked,
                &schema,
                max_tokens(brief.count, view.budget),
                deadline,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.described()))?;
        model_ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let percent = |n: usize| 100.0 * n as f64 / answered.max(1) as f64;
    println!(
        "writer model={model} requests={requests} drafts_each={count}: model alone median {:.0} ms, \
         through Tern median {:.0} ms (ratio {:.2}); drafts answered {answered}, fit before a \
         rewrite {fit_first} ({:.0}%), shown {shown} ({:.0}%), requests with a rewrite {rewrites}",
        median(model_ms.clone()),
        median(tern_ms.clone()),
        median(tern_ms) / median(model_ms),
        percent(fit_first),
        percent(shown),
    );
    Ok(())
}

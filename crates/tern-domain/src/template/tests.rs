use serde_json::json;

use super::*;
use crate::contact::{CartItem, CartStatus, Consent};

fn vocabulary(cart: bool) -> Vocabulary {
    Vocabulary {
        attributes: ["first_name", "city", "tier"].map(String::from).into(),
        cart,
    }
}

fn contact(attributes: Value) -> ContactState {
    ContactState {
        id: None,
        external_id: Some("u-1".into()),
        phone: Some("+14155552671".into()),
        country: Some("US".into()),
        attributes: attributes.as_object().cloned().unwrap_or_default(),
        consent: Consent::Subscribed,
        timezone: None,
    }
}

fn render(source: &str, attributes: Value) -> String {
    let template = check(source, &vocabulary(false)).expect("a valid template");
    template
        .render(&Values::new(&contact(attributes), None))
        .unwrap()
}

fn problems(source: &str) -> Vec<Problem> {
    check(source, &vocabulary(false)).unwrap_err()
}

#[test]
fn a_missing_attribute_falls_back_to_its_default() {
    let body = r#"Hi {{ first_name | default: "there" }}!"#;
    assert_eq!(render(body, json!({"first_name": "Ayşe"})), "Hi Ayşe!");
    assert_eq!(render(body, json!({})), "Hi there!");
    assert_eq!(render("{{ city }}|{{ phone }}", json!({})), "|+14155552671");
}

#[test]
fn conditions_loops_and_filters_work_as_in_liquid() {
    let body = "{% if tier == \"gold\" %}VIP {% endif %}{{ first_name | upcase }}\
                {% for n in (1..3) %}{{ n }}{% endfor %}";
    assert_eq!(
        render(body, json!({"tier": "gold", "first_name": "ann"})),
        "VIP ANN123"
    );
}

#[test]
fn an_unknown_variable_is_reported_where_it_stands_with_a_suggestion() {
    let found = problems("Hello\n  {{ frist_name }}");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].code, "unknown_variable");
    assert_eq!(
        found[0].position,
        Position {
            line: 2,
            column: 6,
            index: 11
        }
    );
    assert!(
        found[0].message.contains("did you mean first_name?"),
        "{}",
        found[0].message
    );
}

#[test]
fn names_bound_by_assign_and_for_are_known_only_where_they_live() {
    assert!(check("{% assign x = city | upcase %}{{ x }}", &vocabulary(false)).is_ok());
    let found = problems("{% for c in tier %}{{ c }}{% endfor %}{{ c }}");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].position.column, 42);
}

#[test]
fn cart_fields_are_checked_in_cart_reminders_only() {
    let body = "{% for item in cart.items %}{{ item.name }} x{{ item.quantity }} {% endfor %}{{ cart.total }}";
    assert!(check(body, &vocabulary(true)).is_ok());
    let outside = check(body, &vocabulary(false)).unwrap_err();
    assert_eq!(outside[0].code, "unknown_variable");
    let typo = check(
        "{% for item in cart.items %}{{ item.nme }}{% endfor %}",
        &vocabulary(true),
    )
    .unwrap_err();
    assert!(
        typo[0].message.contains("no field \"nme\""),
        "{}",
        typo[0].message
    );
    assert!(check("{{ cart.totl }}", &vocabulary(true)).is_err());
}

#[test]
fn a_cart_renders_with_its_items_total_and_count() {
    let cart = Cart {
        items: vec![
            CartItem {
                product_id: "p1".into(),
                name: "Mug".into(),
                price: 12.5,
                quantity: 2,
                image_url: None,
                url: None,
            },
            CartItem {
                product_id: "p2".into(),
                name: "Tea".into(),
                price: 4.0,
                quantity: 1,
                image_url: None,
                url: Some("https://shop.example/tea".into()),
            },
        ],
        currency: Some("USD".into()),
        status: CartStatus::Open,
        updated_at: chrono::Utc::now(),
        occurrence: None,
        started_at: None,
    };
    let template = check(
        "{{ cart.items | map: \"name\" | join: \", \" }}: {{ cart.item_count }} for {{ cart.total }} {{ cart.currency }} {{ cart.url }}",
        &vocabulary(true),
    )
    .unwrap();
    let text = template
        .render(&Values::new(&contact(json!({})), Some(&cart)))
        .unwrap();
    assert_eq!(text, "Mug, Tea: 3 for 29 USD https://shop.example/tea");
}

#[test]
fn syntax_errors_name_their_place() {
    let unclosed = problems("Hi {{ first_name");
    assert_eq!(unclosed[0].code, "syntax");
    assert_eq!(unclosed[0].position.column, 4);
    let block = problems("{% if city %}x");
    assert!(
        block[0].message.contains("never closed"),
        "{}",
        block[0].message
    );
    let stray = problems("x{% endfor %}");
    assert_eq!(stray[0].position.column, 2);
    let filter = problems("{{ city | upcsae }}");
    assert_eq!(filter[0].code, "unknown_filter");
    assert!(filter[0].message.contains("upcase"));
    // Liquid's own parser speaks last, with its position.
    let liquid = problems("{{ city | append: }}");
    assert_eq!(liquid[0].code, "syntax", "{liquid:?}");
}

#[test]
fn tags_that_could_grow_without_bound_are_refused() {
    assert_eq!(
        problems("{% capture x %}{{ x }}{{ x }}{% endcapture %}")[0].code,
        "unsupported_tag"
    );
    assert_eq!(
        problems("{% for i in (1..1000000000) %}x{% endfor %}")[0].code,
        "too_complex"
    );
    let nested = "{% for a in (1..2) %}{% for b in (1..2) %}{% for c in (1..2) %}{% endfor %}{% endfor %}{% endfor %}";
    assert_eq!(problems(nested)[0].code, "too_complex");
}

#[test]
fn rendering_is_bounded_in_size_and_work() {
    // Each filter result is measured: doubling a value stops at the bound.
    let doubling = "{% assign s = city %}{% for i in (1..40) %}{% assign s = s | append: s %}{% endfor %}{{ s }}";
    let template = check(doubling, &vocabulary(false)).unwrap();
    let error = template
        .render(&Values::new(&contact(json!({"city": "Paris"})), None))
        .unwrap_err();
    assert!(error.0.contains("longer than"), "{error}");
    // Plain output stops at the output bound.
    let wide = format!(
        "{{% for a in (1..50) %}}{{% for b in (1..50) %}}{}{{% endfor %}}{{% endfor %}}",
        "x".repeat(100)
    );
    let error = check(&wide, &vocabulary(false))
        .unwrap()
        .render(&Values::default())
        .unwrap_err();
    assert!(error.0.contains(&MAX_OUTPUT_BYTES.to_string()), "{error}");
}

#[test]
fn long_lists_in_attributes_are_cut_for_loops() {
    let many: Vec<u32> = (0..500).collect();
    let text = render("{{ tier.size }}", json!({"tier": many}));
    assert_eq!(text, MAX_LIST.to_string());
}

#[test]
fn a_runtime_failure_is_an_error_not_a_panic() {
    let template = check("{{ tier | divided_by: 0 }}", &vocabulary(false)).unwrap();
    assert!(
        template
            .render(&Values::new(&contact(json!({"tier": 3})), None))
            .is_err()
    );
}

#[test]
fn numbers_too_wide_for_liquid_are_refused_not_passed_on() {
    // Liquid's parser panics on these; found by the `templates` fuzz target.
    for source in [
        "{{39888877777777777777777777777777778}}",
        "{{ city | append: -99999999999999999999 }}",
        "{{ tier[99999999999999999999] }}",
    ] {
        assert_eq!(problems(source)[0].code, "syntax", "{source}");
    }
    assert_eq!(render("{{ 2 | plus: -3 }}", json!({})), "-1");
}

#[test]
fn printed_variables_carry_their_fallback_unless_a_block_tests_them() {
    let body = "Hi {{ first_name | default: \"there\" }} from {{ city | default: '' }}, \
        {{ tier }} {{ phone | upcase | default: city }}{% if tier %}{{ tier }}{% endif %}\
        {% for i in (1..2) %}{{ i }}{% endfor %}{% assign x = city %}{{ x }}";
    let template = check(body, &vocabulary(false)).unwrap();
    let printed: Vec<(&str, &Fallback, u32)> = template
        .printed()
        .iter()
        .map(|p| (p.variable.as_str(), &p.fallback, p.position.column))
        .collect();
    assert_eq!(
        printed,
        [
            ("first_name", &Fallback::Text("there".into()), 4),
            ("city", &Fallback::Text(String::new()), 45),
            ("tier", &Fallback::Missing, 71),
            ("phone", &Fallback::Other, 82),
        ]
    );
}

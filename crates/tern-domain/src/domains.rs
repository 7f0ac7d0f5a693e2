//! The account's own domains: where links taken from data (a contact's attribute, a cart's
//! product page) may point and still be shortened and tracked, and where product pictures may
//! be fetched from.

use crate::account::InvalidSetting;

/// How many domains an account may list.
pub const MAX_OWN_DOMAINS: usize = 20;

/// Checks and normalises a list of domain names (`shop.example`, lower-cased, no scheme, port or
/// path). A domain also covers its subdomains.
pub fn own_domains(names: Vec<String>) -> Result<Vec<String>, InvalidSetting> {
    if names.len() > MAX_OWN_DOMAINS {
        return Err(InvalidSetting::new(
            "own_domains",
            format!("at most {MAX_OWN_DOMAINS} domains"),
        ));
    }
    let mut domains = Vec::with_capacity(names.len());
    for (i, name) in names.into_iter().enumerate() {
        let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
        let label_ok = |label: &str| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        };
        if name.len() > 253 || !name.contains('.') || !name.split('.').all(label_ok) {
            return Err(InvalidSetting::new(
                format!("own_domains[{i}]"),
                format!(
                    "{name:?} is not a domain name: write it as shop.example, without https:// or a path"
                ),
            ));
        }
        if !domains.contains(&name) {
            domains.push(name);
        }
    }
    Ok(domains)
}

/// The origin (`https://shop.example:8443`) and host of an http(s) URL, lower-cased, as a browser
/// reads them: the authority ends at `/`, `?`, `#` or `\` (which browsers take for `/`). `None`
/// unless the authority is a plain host and optional port: user info (`own@evil.example`),
/// percent-escapes, non-ASCII or markup make a link that is never trusted.
pub fn plain_origin(url: &str) -> Option<(String, String)> {
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))?;
    let authority = rest.split(['/', '?', '#', '\\']).next().unwrap_or_default();
    let (host, port) = authority
        .split_once(':')
        .map_or((authority, None), |(h, p)| (h, Some(p)));
    let host_ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    (host_ok && port_ok).then(|| {
        let scheme_len = lower.len() - rest.len();
        (
            lower[..scheme_len + authority.len()].to_owned(),
            host.trim_end_matches('.').to_owned(),
        )
    })
}

/// Whether `url` is an http(s) address on one of `domains` (or a subdomain of one).
pub fn is_own_url(url: &str, domains: &[String]) -> bool {
    let Some((_, host)) = plain_origin(url) else {
        return false;
    };
    domains.iter().any(|domain| {
        host == *domain
            || host
                .strip_suffix(domain.as_str())
                .is_some_and(|sub| sub.ends_with('.'))
    })
}

/// Whether `ip` is an address of the public internet: not loopback, private, link-local,
/// shared (carrier NAT), documentation, multicast or reserved. A product picture is fetched
/// only from such an address (unless the operator allows private ones), so that a URL in a
/// shop's events cannot make a node reach its own network.
pub fn is_public_address(ip: std::net::IpAddr) -> bool {
    match ip.to_canonical() {
        std::net::IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_unspecified()
                || v4.is_multicast()
                || a == 0
                || a >= 240
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0))
        }
        std::net::IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || first == 0x2001 && v6.segments()[1] == 0x0db8)
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "192.0.0.8",
            "2001:db8::1",
        ] {
            assert!(
                !super::is_public_address(private.parse().unwrap()),
                "{private}"
            );
        }
        for public in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(
                super::is_public_address(public.parse().unwrap()),
                "{public}"
            );
        }
    }

    use super::*;

    fn shop() -> Vec<String> {
        own_domains(vec!["Shop.Example".into()]).unwrap()
    }

    #[test]
    fn urls_on_the_domains_and_their_subdomains_are_own() {
        assert!(is_own_url("https://shop.example/p/1", &shop()));
        assert!(is_own_url("http://www.shop.example:8080/p?x=1", &shop()));
        assert!(is_own_url("https://SHOP.example./", &shop()));
    }

    #[test]
    fn lookalikes_and_other_schemes_are_not() {
        for url in [
            "https://evilshop.example/",
            "https://shop.example.evil.example/",
            "https://shop.example@evil.example/",
            "javascript://shop.example/",
            "https://evil.example\\.shop.example/",
            "https://shop.example%2e@evil.example/",
            "https://shop.example:x@evil.example/",
            "ftp://shop.example/",
            "shop.example/p",
        ] {
            assert!(!is_own_url(url, &shop()), "{url}");
        }
        assert!(!is_own_url("https://shop.example/", &[]));
    }

    #[test]
    fn domain_names_are_checked() {
        assert_eq!(shop(), ["shop.example"]);
        for bad in [
            "https://shop.example",
            "shop",
            "shop.example/p",
            "-a.example",
            "a b.example",
        ] {
            assert!(own_domains(vec![bad.into()]).is_err(), "{bad}");
        }
        assert!(own_domains(vec!["a.example".into(); 21]).is_err());
    }
}

use super::*;

fn summary_html(fleet: &Fleet) -> String {
    fleet.text("summary/summary.html")
}

#[test]
fn hostile_text_is_escaped_everywhere() {
    let inv = format!(
            "{INVENTORY_HEADER}c1,<svg onload=alert(3)>,vps-a,198.51.100.7\nc2,Beta Blog,vps-b,198.51.100.8\n"
        );
    let fleet = Fleet::new(&inv);
    let hostile = NO_IP_DEFERRAL.replace(
        "Server configuration problem",
        "<script>alert(1)</script> \"><img src=x onerror=alert(1)> it's \u{1b}[31m",
    );
    fleet
        .log("vps-a/mail.log", &[S3140_RFC3164, &hostile], NOV_23_2026)
        .log("vps-b/mail.log", &[S3140_MAILLOG_FILE], NOV_23_2026)
        // An empty file is an input problem, listed with its (hostile) name.
        .log("vps-b/<img src=x onerror=alert(2)>.log", &[], NOV_23_2026);
    let out = fleet.run(1);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = summary_html(&fleet);
    for raw in [
        "<script>alert",
        "<img src=x",
        "<svg onload",
        "\"><img",
        "\u{1b}",
    ] {
        assert!(!html.contains(raw), "unescaped {raw:?} in summary.html");
    }
    for escaped in [
            "&lt;script&gt;alert(1)&lt;/script&gt; &quot;&gt;&lt;img src=x onerror=alert(1)&gt; it&#39;s \u{FFFD}[31m",
            "&lt;svg onload=alert(3)&gt;",
            "vps-b/&lt;img src=x onerror=alert(2)&gt;.log",
        ] {
            assert!(html.contains(escaped), "no {escaped:?} in summary.html");
        }
    assert_eq!(
        html.matches("<script").count(),
        1,
        "only the page's own script"
    );
}

#[test]
fn neighbourhood_gets_a_heatmap_and_the_page_is_self_contained() {
    let fleet = Fleet::new(&neighbourhood_inventory());
    fleet
        .log("vps-a/mail.log", &[S3140_RFC3164, SENT_GMAIL], NOV_23_2026)
        .log("vps-b/mail.log", &[S3140_MAILLOG_FILE], NOV_23_2026)
        .log("vps-c/mail.log", &[S3140_RFC3339], NOV_23_2026)
        .log("vps-d/mail.log", &[S3140_UNPADDED_DAY], NOV_23_2026);
    ok(&fleet.run(1));
    let html = summary_html(&fleet);
    assert_eq!(
        html.matches("<article class=\"hm ").count(),
        1,
        "one affected subnet"
    );
    let start = html
        .find("<article class=\"hm v-neighbourhood\" data-subnet=\"198.51.100.0/24\">")
        .expect("a heatmap for the neighbourhood /24");
    let card = &html[start..start + html[start..].find("</article>").unwrap()];
    assert!(card.contains("badge b-neighbourhood"), "verdict badge");
    assert_eq!(card.matches("<rect class=\"cell ").count(), 256);
    for last in 7..=10 {
        let cell = format!("<rect class=\"cell blocked\" data-ip=\"198.51.100.{last}\"");
        assert!(card.contains(&cell), "{cell}");
    }
    // c6's addresses are ours but silent; .1 is nobody's.
    assert!(card.contains("<rect class=\"cell silent\" data-ip=\"198.51.100.20\""));
    assert!(card.contains("<rect class=\"cell notours\" data-ip=\"198.51.100.1\""));
    // Self-contained: no external script, stylesheet, image or frame; nothing fetched by CSS.
    assert!(html.contains("default-src 'none'"), "CSP forbids loads");
    for tag in ["<script", "<link", "<img", "<iframe", "<object", "<embed"] {
        for (at, _) in html.match_indices(tag) {
            let open = &html[at..at + html[at..].find('>').unwrap()];
            assert!(
                !open.contains("src=") && !open.contains("href=") && !open.contains("http"),
                "external resource: {open}"
            );
        }
    }
    assert!(!html.contains("url(") && !html.contains("@import"));
}

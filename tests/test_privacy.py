"""Folding small counts for public pages: by people, with secondary suppression."""

from __future__ import annotations

from mkdocs_analytics.publish.privacy import fold, fold_rows, public_engagement


def page(path, views, visitors):
    return {"path": path, "title": None, "views": views, "unique_visitors": visitors,
            "share_pct": None, "previous_views": None, "views_delta_pct": None,
            "views_delta_reason": "no previous period", "sparkline": [views]}


def engagement(pages):
    return {
        "available": True, "measure": "page_views",
        "site_totals": {"page_views": sum(p["views"] for p in pages)},
        "pages": pages, "referrers": [], "browsers": [], "systems": [], "countries": [],
        "screen_sizes": [], "campaigns": [], "not_found": [],
        "trends": {"top_referrer": None, "max_referrer_share_pct": None, "reasons": {}},
    }


def test_a_page_read_many_times_by_one_reader_is_folded():
    # /secret: 6 views by 1 visitor; /team: 4 views by 2; /: 40 views by 30. With k = 5,
    # /secret and /team fold (3 readers, under 5 with 2 rows), so "/" (the smallest shown
    # row by readers) must join them; nothing is left to show but (other).
    public = public_engagement(
        engagement([page("/", 40, 30), page("/secret", 6, 1), page("/team", 4, 2)]), 5
    )
    assert [(p["path"], p["views"], p.get("folded")) for p in public["pages"]] == [
        ("(other)", 50, 3)
    ]


def test_pages_fold_by_readers_and_keep_their_order():
    # Readers: /a 9, /b 7, /c 3, /d 2 → /c and /d fold (5 readers in 2 rows: enough).
    shown, folded = fold_rows(
        [page("/a", 20, 9), page("/b", 30, 7), page("/c", 50, 3), page("/d", 4, 2)],
        5, count="unique_visitors",
    )
    assert [p["path"] for p in shown] == ["/a", "/b"]
    assert [p["path"] for p in folded] == ["/c", "/d"]


def test_a_lone_small_row_takes_the_smallest_shown_row_with_it():
    rows = [{"name": "a", "count": 9}, {"name": "b", "count": 6}, {"name": "c", "count": 1}]
    assert fold(rows, 5) == [
        {"name": "a", "count": 9},
        {"name": "(other)", "count": 7, "folded": 2},
    ]


def test_a_fold_too_small_to_hide_anything_shows_no_number():
    assert fold([{"name": "a", "count": 2}, {"name": "b", "count": 1}], 5) == [
        {"name": "(other)", "count": None, "folded": 2}
    ]

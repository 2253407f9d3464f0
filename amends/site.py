"""Build the report site: decide the pages (pure), render them, write them."""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from jinja2 import Environment

from . import views
from .model import Case
from .project import Project

ASSETS = "assets"

# (folder, title, title of one group, grouping function)
SECTIONS = (
    ("categories", "Categories", "Category", views.by_category),
    ("teams", "Teams", "Team", views.by_team),
    ("tags", "Tags", "Tag", views.by_tag),
    ("customers", "Customers", "Customer", views.by_customer),
)


@dataclass
class Page:
    path: str
    template: str
    context: dict = field(default_factory=dict)


@dataclass
class Links:
    """Where each case, category, team, tag and customer has its page."""

    groups: dict[str, dict[str, str]] = field(default_factory=dict)

    def group(self, section: str, name: str | None) -> str | None:
        return f"{section}/{self.groups[section][name]}.html" if name in self.groups.get(section, {}) else None

    def customer(self, case: Case) -> str | None:
        return self.group("customers", views.customer_key(case))


def pages(project: Project, as_of: date) -> list[Page]:
    """Every page of the site and what it shows; nothing is rendered or written here."""
    cases = project.cases
    newest_first = sorted(cases, key=lambda c: (c.opened, c.id), reverse=True)
    links = Links()
    out: list[Page] = []

    # One index and one page per group, for each way of grouping.
    for section, title, singular, grouping in SECTIONS:
        groups = grouping(cases)
        keys = (lambda g: views.customer_key(g.cases[0])) if section == "customers" else (lambda g: g.name)
        links.groups[section] = {keys(g): g.slug for g in groups}
        out.append(Page(f"{section}/index.html", "groups.html",
                        {"title": title, "section": section, "groups": groups}))
        for group in groups:
            out.append(Page(f"{section}/{group.slug}.html", "group.html",
                            {"title": f"{singular}: {group.name}", "section": section, "group": group,
                             "singular": singular, "cases": group.cases}))

    out.append(Page("index.html", "home.html", {
        "title": "Overview", "section": "home",
        "figures": views.figures(cases),
        "open_cases": views.open_cases_by_age(cases, as_of),
        "recent": newest_first[:10],
    }))
    out.append(Page("cases/index.html", "cases.html", {"title": "All cases", "section": "cases", "cases": newest_first}))
    for case in cases:
        out.append(Page(f"cases/{case.id}.html", "case.html", {
            "title": case.title, "section": "cases", "case": case, "timeline": views.timeline(case),
        }))
    out.append(Page("problems.html", "problems.html", {
        "title": "Problems", "section": "problems", "problems": project.problems,
    }))

    shared = {
        "business": project.config.business_name, "as_of": as_of, "links": links,
        "status_label": views.status_label, "problem_count": len(project.problems), "case_count": len(cases),
    }
    for page in out:
        page.context = {**shared, "root": "../" * page.path.count("/"), **page.context}
    return out


def render(site_pages: list[Page], env: Environment) -> dict[str, str]:
    """Render each page; two pages may never claim the same path."""
    files: dict[str, str] = {"robots.txt": "User-agent: *\nDisallow: /\n"}
    for page in site_pages:
        if page.path in files:
            raise ValueError(f"two pages would be written to {page.path}")
        files[page.path] = env.get_template(page.template).render(page.context)
    return files


def write_site(out_dir: Path, files: dict[str, str], assets_dir: Path) -> int:
    """Write the site, touching only files whose content changed; remove the rest.

    Returns how many files were written.
    """
    wanted = {out_dir / name: text.encode("utf-8") for name, text in files.items()}
    if assets_dir.is_dir():
        for asset in sorted(assets_dir.rglob("*")):
            if asset.is_file():
                wanted[out_dir / ASSETS / asset.relative_to(assets_dir)] = asset.read_bytes()
    written = 0
    for path, data in wanted.items():
        if path.is_file() and path.read_bytes() == data:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written += 1
    # Pages of deleted cases or groups must not linger.
    for path in sorted(out_dir.rglob("*"), reverse=True):
        if path.is_file() and path not in wanted:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            shutil.rmtree(path)
    return written


def build(project: Project, env: Environment, out_dir: Path, assets_dir: Path, as_of: date) -> int:
    """Pages → rendered files → disk. Returns the number of files written."""
    return write_site(out_dir, render(pages(project, as_of), env), assets_dir)

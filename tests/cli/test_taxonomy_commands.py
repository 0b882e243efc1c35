"""CLI: `microcred taxonomy import|search|show|suggest|frameworks` on SQLite and PostgreSQL, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from microcred.cli import _register, app
from microcred.settings import get_settings
from taxonomy.synthetic import SKILL, write_esco_folder

_register()


@pytest.fixture
def cli_db(isolated_settings: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    if not db_url.startswith("sqlite"):
        monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    return isolated_settings


def run(*args: str) -> tuple[int, str, str]:
    get_settings.cache_clear()
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_import_search_show_suggest(cli_db: Path, tmp_path: Path) -> None:
    folder = write_esco_folder(tmp_path / "esco-v1.0.0", gz=True)
    code, out, err = run("taxonomy", "import", "esco", str(folder))
    assert code == 0, err
    assert "esco v1.0.0: imported" in out and "concepts    : 10 (10 new" in out
    code, out, err = run("taxonomy", "import", "esco", str(folder), "--json")
    assert code == 0, err
    assert json.loads(out)["changed"] is False

    code, out, err = run("taxonomy", "search", "bread", "--type", "knowledge", "--json")
    assert code == 0, err
    assert [r["label"] for r in json.loads(out)] == ["bread baking science"]
    code, out, _ = run("taxonomy", "search", "bread", "--limit", "5")
    assert code == 0 and "knead bread dough" in out
    code, _, err = run("taxonomy", "search", "zzyzxqq")
    assert code == 0 and "no matching concept" in err
    code, _, err = run("taxonomy", "search", "bread", "--type", "attitude")
    assert code == 2

    code, out, err = run("taxonomy", "show", SKILL + "s1", "--json")
    assert code == 0, err
    detail = json.loads(out)
    assert detail["label"] == "knead bread dough" and detail["essential_for"][0]["label"] == "baker"
    code, out, _ = run("taxonomy", "show", SKILL + "k1")
    assert code == 0 and "bread baking science" in out and "optional for 1 occupations" in out
    code, out, _ = run("taxonomy", "show", SKILL + "g-T")
    assert code == 0 and "narrower:" in out
    code, _, err = run("taxonomy", "show", "http://example.org/nope")
    assert code == 2 and "no concept" in err

    code, out, err = run("taxonomy", "suggest", "Knead bread dough by hand", "--kind", "skill", "--json")
    assert code == 0, err
    assert json.loads(out)[0]["uri"] == SKILL + "s1"
    code, out, _ = run("taxonomy", "suggest", "Be patient with customers")
    assert code == 0 and "attitude" in out

    code, out, _ = run("taxonomy", "frameworks")
    assert code == 0 and "esco v1.0.0 (current)" in out
    code, out, _ = run("taxonomy", "frameworks", "--json")
    assert json.loads(out)[0]["concepts"] == 10


def test_import_other_frameworks_and_errors(cli_db: Path, tmp_path: Path) -> None:
    simple = tmp_path / "f.csv"
    simple.write_text("uri,label,type,description,broader_uri\nhttps://ex.org/1,Bake bread,skill,,\n")
    code, out, err = run("taxonomy", "import", "csv", str(simple), "--framework", "Bakery")
    assert code == 0, err
    assert "bakery 1: imported" in out
    case = tmp_path / "c.json"
    case.write_text(
        json.dumps(
            {
                "CFDocument": {"uri": "https://case.example/d", "title": "T"},
                "CFItems": [{"uri": "https://case.example/i", "fullStatement": "Knead", "CFItemType": "Skill"}],
            }
        )
    )
    code, out, err = run("taxonomy", "import", "case", str(case), "--json")
    assert code == 0, err
    assert json.loads(out)["concepts"] == 1

    code, _, err = run("taxonomy", "import", "esco", str(tmp_path / "missing"))
    assert code == 2 and "no such file or directory" in err
    bad = write_esco_folder(tmp_path / "esco-v3.0.0")
    (bad / "skills_en.csv").write_text("conceptUri,foo\n")
    code, _, err = run("taxonomy", "import", "esco", str(bad))
    assert code == 2 and "malformed CSV" in err
    code, _, err = run("taxonomy", "import", "case", str(simple))
    assert code == 2 and "malformed JSON" in err
    code, out, _ = run("taxonomy", "frameworks")
    assert "esco" not in out  # the failed imports wrote nothing


def test_read_commands_need_a_database(isolated_settings: Path) -> None:
    code, _, err = run("taxonomy", "search", "bread")
    assert code == 2 and "microcred init" in err
    code, _, err = run("init")
    assert code == 0, err
    code, out, err = run("taxonomy", "frameworks")
    assert code == 0 and out == ""
    code, _, err = run("taxonomy", "suggest", "bake bread")
    assert code == 0 and "no matching concept" in err

import sqlite3

from advisor.probe import store
from conftest_probe import result as _res


def test_roundtrip_wal_and_filters(private_store):
    a = store.save(_res())
    b = store.save(_res(ok=False))
    assert a.id and b.id and b.id > a.id and a.created
    con = sqlite3.connect(store.db_path())
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db_path().parent == private_store
    got = store.load()
    assert [r.id for r in got] == [a.id, b.id]
    assert got[0].measured.decode_tokens_per_s == 50.0 and got[0].env["versions"]
    assert [r.id for r in store.load(ok_only=True)] == [a.id]
    assert store.load(machine="not-this-one") == []


def test_csv_has_flat_columns():
    store.save(_res())
    text = store.to_csv(store.load())
    head, row = text.splitlines()[:2]
    assert head.split(",") == list(store.CSV_COLUMNS)
    assert ",50.0," in row and ",40.0," in row


def test_cli_list_and_export(cli):
    store.save(_res())
    r = cli("measurements", "list", "--json")
    assert r.code == 0 and r.json()[0]["decode_tokens_per_s"] == 50.0
    r = cli("measurements", "export", "--csv")
    assert r.code == 0 and r.out.startswith("id,created,backend")
    r = cli("measurements", "export")
    assert r.code == 0 and r.json()[0]["env"]["fingerprint"]
    assert cli("measurements", "export", "--csv", "--json").code == 2

"""The dashboard over a lake: a province's many counties (sitrep.lake) and their KPI cube (sitrep.cube_job),
served like one database.

Pointed at a lake (``SITREP_LAKE=DIR``) and its cube (``SITREP_CUBE=DIR``, else ``DIR/_cube``: the ``--out`` of
``python -m sitrep cube``), the dashboard reads a small DuckDB file built from them (``SITREP_DB``, else
``data/sitrep_lake.duckdb``):

- the cube (``kpi_cube``) and the facts of the precise-control and reporting KPIs, loaded from the cube job's
  Parquet: every card, trend, ranking and per-region chart reads them, as over one county's database;
- every table of the data contract as a view over the lake's Parquet (hive-partitioned by county and month),
  read by DuckDB in place: the records behind a number and the page breakdowns; the scope's region codes
  start with its county's code, so a county's records are the rows of that county;
- the schema, the shared macros and the duplicate-person pairs, as :meth:`sitrep.db.Database.writer` makes
  them.

The file is rebuilt, through the same copy-and-swap as every write, when the lake's manifest or the cube job's
output changes (or sitrep's schema does): a nightly cube shows on the next read. It is never written otherwise:
imports go into a county's database, which is exported to the lake (``python -m sitrep lake export --append``).
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

from sitrep import cube, lake
from sitrep.db import (DEFAULT_DB, Database, QueryError, cube_inputs, ensure_schema, resolve_db_path,
                       schema_fingerprint)

CUBE_TABLES = ("kpi_facts_control", "kpi_facts_reporting", "kpi_cube")
SMALL_TABLES = ("regions", "boundaries")

# The boundary of each region of a level (county: a county-level city too) that has none: a MultiPolygon of the
# polygons of the regions one level below it (drawn with their inner borders; no geometry library here).
COMPOSED_BOUNDARIES = """
INSERT INTO boundaries (region_code, level, geometry)
SELECT r.region_code, r.level,
       '{"type":"MultiPolygon","coordinates":[' || string_agg(
           CASE json_extract_string(b.geometry, '$.type')
               WHEN 'Polygon' THEN json_extract(b.geometry, '$.coordinates')::VARCHAR
               ELSE (json_extract(b.geometry, '$.coordinates')::VARCHAR)[2:-2] END, ',') || ']}'
FROM regions r
JOIN regions c ON c.parent_code = r.region_code
JOIN boundaries b ON b.region_code = c.region_code
WHERE level_rank(r.level) = level_rank($level)
  AND r.region_code NOT IN (SELECT region_code FROM boundaries)
GROUP BY r.region_code, r.level
"""


class LakeReadOnly(QueryError):
    """A write to the dashboard over a lake: data come from the counties' exports."""


def lake_dir() -> Path | None:
    """$SITREP_LAKE, when the dashboard serves a lake."""
    env = os.environ.get("SITREP_LAKE")
    return Path(env) if env else None


def cube_dir(lake_path: Path) -> Path:
    env = os.environ.get("SITREP_CUBE")
    return Path(env) if env else lake_path / "_cube"


def serving_path(path: str | os.PathLike | None = None) -> Path:
    """The file the dashboard over a lake reads: path, else $SITREP_DB, else data/sitrep_lake.duckdb."""
    if path:
        return Path(path)
    env = os.environ.get("SITREP_DB")
    return Path(env) if env else DEFAULT_DB.with_name("sitrep_lake.duckdb")


def served_path() -> Path:
    """The file the dashboard reads: the lake's serving file when $SITREP_LAKE is set, else the database
    ($SITREP_DB, else data/sitrep.duckdb)."""
    return serving_path() if lake_dir() is not None else resolve_db_path()


class LakeDatabase(Database):
    """The database the dashboard reads over a lake and its cube (see the module's text)."""

    def __init__(self, lake_path: str | os.PathLike, cube_path: str | os.PathLike | None = None,
                 path: str | os.PathLike | None = None):
        super().__init__(serving_path(path))
        self.lake_dir = Path(lake_path)
        self.cube_dir = Path(cube_path) if cube_path else cube_dir(self.lake_dir)
        self._source: str | None = None
        self._schema = schema_fingerprint()

    def source_stamp(self) -> str:
        """What the served file was built from: the lake's manifest, the cube job's output and sitrep's
        schema. Raises QueryError naming what is missing."""
        parts = [self._schema]
        manifest, job = self.lake_dir / lake.MANIFEST, self.cube_dir / "kpi_cube" / "_job.json"
        if not manifest.is_file():
            raise QueryError(f"no lake at {self.lake_dir} ({lake.MANIFEST} is missing); make it with "
                             f"`python -m sitrep lake export --db DB --out DIR`")
        if not job.is_file() or not all((self.cube_dir / t).is_dir() for t in CUBE_TABLES):
            raise QueryError(f"no KPI cube at {self.cube_dir} (it needs {', '.join(CUBE_TABLES)}); make it with "
                             f"`python -m sitrep cube --lake {self.lake_dir} --out {self.cube_dir}`")
        for f in (manifest, job, *(self.cube_dir / t for t in CUBE_TABLES)):
            st = f.stat()
            parts.append(f"{f.name}:{st.st_mtime_ns}:{st.st_size}")
        return "|".join(parts)

    # -- read: built when missing, rebuilt when the lake or the cube changed

    def exists(self) -> bool:
        return (self.lake_dir / lake.MANIFEST).is_file() and (self.cube_dir / "kpi_cube" / "_job.json").is_file()

    def version(self) -> tuple | None:
        """The served file's version, after bringing it up to date with the lake and the cube (every cached
        read is keyed on it, so a new nightly cube shows on the next rerun)."""
        if not self.path.is_file() or self._source != self.source_stamp():
            self._cursor().close()
        return super().version()

    def _missing(self) -> None:
        self.rebuild()

    def _out_of_date(self, con) -> bool:
        try:
            stored = con.execute("SELECT max(stamp) FROM lake_source").fetchall()[0][0]
        except Exception as e:  # noqa: BLE001 - a file that is not a lake's serving file: rebuilt
            if "lake_source" in str(e):
                return True
            raise
        self._source = stored
        return stored != self.source_stamp()

    def _stale(self) -> bool:
        return self._source != self.source_stamp()

    def _upgrade(self) -> None:
        self.rebuild()

    def writer(self):
        raise LakeReadOnly(f"this dashboard reads the lake {self.lake_dir}: import into a county's database and "
                           f"export it to the lake (`python -m sitrep lake export --append`), then run the cube job")

    def rebuild(self) -> None:
        """Build the served file from the lake and the cube (copy-and-swap: readers keep their snapshot)."""
        stamp = self.source_stamp()
        job = json.loads((self.cube_dir / "kpi_cube" / "_job.json").read_text(encoding="utf-8"))
        with self._swapped(copy=False) as (con, _swept):
            ensure_schema(con)
            # the contract's tables become views over the lake's Parquet
            for name in lake.table_names():
                con.execute(f"DROP TABLE IF EXISTS {name}")
            lake.create_views(con, self.lake_dir)
            lake.create_county_views(con)
            # the small tables every query and map reads: loaded (the regions' view takes each county's copy of
            # the province and prefecture once)
            for name in SMALL_TABLES:
                con.execute(f"CREATE TABLE {name}_loaded AS SELECT * FROM {name}")
                con.execute(f"DROP VIEW {name}")
                con.execute(f"ALTER TABLE {name}_loaded RENAME TO {name}")
            # a county (and a prefecture) is drawn as the polygons of the regions below it
            for level in ("county", "prefecture", "province"):
                con.execute(COMPOSED_BOUNDARIES, {"level": level})
            # the cube and the facts tables: loaded, ordered by place and day as sitrep.cube stores them
            for name in CUBE_TABLES:
                order = " ORDER BY region_code, day, kpi" if name == "kpi_cube" else ""
                con.execute(f"DROP TABLE IF EXISTS {name}")
                parts = lake.quote(self.cube_dir.resolve() / name / "*.parquet")
                con.execute(f"CREATE TABLE {name} AS SELECT * FROM read_parquet('{parts}'){order}")
            con.execute(f"CREATE OR REPLACE TABLE quality_duplicate_pairs AS {cube.sql_text('duplicate_pairs')}")
            d_first, d_last, rows = con.execute("SELECT min(day), max(day), count(*) FROM kpi_cube").fetchall()[0]
            built_at = datetime.fromtimestamp(os.path.getmtime(self.cube_dir / "kpi_cube" / "_job.json"))
            cube.write_meta(con, built_at=built_at.replace(microsecond=0), seconds=job.get("seconds"),
                            d_first=d_first, d_last=d_last, rows=rows, inputs=cube_inputs()[0], valid_until=None,
                            recomputed=f"cube job ({job.get('engine')})", state="{}")
            con.execute("CREATE OR REPLACE TABLE lake_source (stamp VARCHAR)")
            con.execute("INSERT INTO lake_source VALUES ($s)", {"s": stamp})
        self._source = stamp


def served_database(path: str | os.PathLike | None = None) -> Database:
    """The database the dashboard serves: over the lake when $SITREP_LAKE is set, else the file at path."""
    lake_path = lake_dir()
    if lake_path is not None:
        return LakeDatabase(lake_path, path=path)
    return Database(path)

"""The data contract: the one machine-readable definition of every table the dashboard reads.

The importer, the database schema, the README's contract section and the tests all read
these definitions; nothing else lists tables or columns. Names are the canonical English
ones from ``shared/DATA_CONTRACT.md``; each column also carries its Chinese header and
any further aliases accepted on import.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Storage type of each contract type in DuckDB.
SQL_TYPES = {
    "str": "VARCHAR",
    "int": "BIGINT",
    "float": "DOUBLE",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "bool": "BOOLEAN",
    "enum": "VARCHAR",
}


@dataclass(frozen=True)
class Column:
    name: str
    zh: str
    type: str = "str"
    required: bool = False
    aliases: tuple[str, ...] = ()
    # enum: (code, Chinese label, *more accepted labels)
    enum: tuple[tuple[str, ...], ...] = ()
    # extra checks: "nonneg", "id_number", "mobile", "pool_size"
    checks: tuple[str, ...] = ()
    default: object = None

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.type]

    @property
    def headers(self) -> tuple[str, ...]:
        """Every header accepted for this column: canonical name, Chinese name, aliases."""
        return (self.name, self.zh, *self.aliases)

    def enum_label(self, code: str, lang: str = "zh") -> str:
        for entry in self.enum:
            if entry[0] == code:
                return entry[1] if lang == "zh" else code
        return code


@dataclass(frozen=True)
class Table:
    name: str
    zh: str
    en: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    # "required", "optional" or None: whether region_code (or township + village names) is taken
    region: str | None = None
    # pairs (earlier, later): the later one may not be before the earlier one
    order: tuple[tuple[str, str], ...] = ()
    # column -> tuple of (table, column) it must exist in (any of them)
    refs: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    # key column filled from another column when empty (returnees: person_id <- id_number)
    key_fallback: dict[str, str] = field(default_factory=dict)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name}.{name}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


# Columns that recur across tables share their aliases everywhere.
def region_code(required: bool = True) -> Column:
    return Column("region_code", "区划代码", "str", required, aliases=("行政区划代码", "地区编码"))


TOWNSHIP = Column("township", "乡镇/街道", "str", aliases=("乡镇", "街道", "乡镇（街道）", "乡镇(街道)"))
VILLAGE = Column("village", "村/社区", "str", aliases=("村", "社区", "村（社区）", "村(社区)"))
LON = Column("lon", "经度", "float", aliases=("longitude",))
LAT = Column("lat", "纬度", "float", aliases=("latitude",))


def date_col(name="date", zh="日期", required=True, **kw) -> Column:
    return Column(name, zh, "date", required, **kw)


def person_id(required: bool = False) -> Column:
    return Column("person_id", "人员编号", "str", required)


def phone() -> Column:
    return Column("phone", "联系电话", "str", checks=("mobile",), aliases=("手机号", "手机号码", "电话"))


def count(name, zh, required=False, **kw) -> Column:
    return Column(name, zh, "int", required, checks=("nonneg",), **kw)


def amount(name, zh, required=False, **kw) -> Column:
    return Column(name, zh, "float", required, checks=("nonneg",), **kw)


def flag(name, zh, required=False, **kw) -> Column:
    return Column(name, zh, "bool", required, **kw)


TASK_FORCES = (
    ("information", "信息综合", "信息综合专班"),
    ("cold_chain", "冷链", "冷链专班"),
    ("vaccine", "疫苗", "疫苗专班"),
    ("epi_investigation", "流调", "流调专班"),
    ("transfer", "转运", "转运专班"),
    ("materials", "物资储备", "物资储备专班"),
    ("publicity", "宣传", "宣传专班"),
)
TEST_RESULTS = (("negative", "阴性"), ("positive", "阳性"), ("pending", "待出", "待检"))
# Province, prefecture and county sit above the city so that one store can hold many counties
# (sitrep.lake, the province path). A county-level city (the demo's) is level "city"; a county or a
# district is "county": both have a 6-digit code prefix and rank the same.
LEVELS = (
    ("province", "省", "自治区", "直辖市", "省级"),
    ("prefecture", "地级市", "地区", "自治州", "盟", "地级"),
    ("county", "县", "区", "市辖区", "旗", "自治县", "县级"),
    ("city", "市", "县级市", "市级"),
    ("township", "乡镇/街道", "乡镇", "街道"),
    ("village", "村/社区", "村", "社区"),
    ("group", "组", "村民小组"),
)


TABLES: tuple[Table, ...] = (
    Table(
        "regions", "行政区划", "Regions", key=("region_code",),
        columns=(
            region_code(),
            Column("name", "名称", "str", True, aliases=("区划名称",)),
            Column("level", "层级", "enum", True, enum=LEVELS),
            Column("parent_code", "上级代码", "str", aliases=("上级区划代码",)),
            count("population", "常住人口", aliases=("人口",)),
            count("households", "户数"),
            flag("is_urban", "城区", aliases=("是否城区",)),
            LON, LAT,
        ),
        refs={"parent_code": (("regions", "region_code"),)},
    ),
    Table(
        "cases", "病例", "Cases", key=("case_id",), region="required",
        columns=(
            Column("case_id", "病例编号", "str", True),
            date_col("report_date", "报告日期"),
            date_col("onset_date", "发病日期", required=False),
            Column("category", "类别", "enum", True, aliases=("病例类别",), enum=(
                ("confirmed", "确诊病例", "确诊"), ("asymptomatic", "无症状感染者", "无症状"),
                ("suspected", "疑似病例", "疑似"))),
            Column("severity", "临床分型", "enum", enum=(
                ("mild", "轻型"), ("moderate", "普通型"), ("severe", "重型"), ("critical", "危重型"))),
            Column("source", "来源", "enum", True, aliases=("病例来源",), enum=(
                ("overseas", "境外输入"), ("domestic_imported", "外地输入", "国内输入"), ("local", "本土", "本地"))),
            Column("found_by", "发现途径", "enum", enum=(
                ("central_quarantine", "集中隔离"), ("home_quarantine", "居家隔离"),
                ("screening", "主动筛查"), ("fever_clinic", "发热门诊"),
                ("contact_tracing", "密接排查"), ("mass_testing", "全员核酸"))),
            region_code(), LON, LAT,
            Column("status", "状态", "enum", enum=(
                ("hospitalised", "住院", "在院"), ("discharged", "出院"), ("died", "死亡"))),
            date_col("discharge_date", "出院日期", required=False),
            Column("infector_case_id", "传染源病例", "str", aliases=("传染源病例编号",)),
            Column("cluster_id", "聚集性疫情编号", "str"),
        ),
        order=(("onset_date", "report_date"), ("report_date", "discharge_date")),
    ),
    Table(
        "contacts", "密接", "Contacts", key=("contact_id",), region="required",
        columns=(
            Column("contact_id", "密接编号", "str", True, aliases=("人员编号",)),
            Column("case_id", "关联病例", "str", True, aliases=("关联病例编号", "病例编号")),
            Column("contact_type", "密接类型", "enum", True, aliases=("接触类型",), enum=(
                ("close", "密切接触者", "密接"), ("secondary", "密接的密接", "次密接"))),
            date_col("identified_date", "判定日期"),
            date_col("quarantine_start", "隔离开始", required=False, aliases=("隔离开始日期",)),
            Column("quarantine_place", "隔离方式", "enum", aliases=("隔离地点",), enum=(
                ("central", "集中", "集中隔离"), ("home", "居家", "居家隔离"))),
            region_code(),
            date_col("release_date", "解除日期", required=False, aliases=("解除隔离日期",)),
            Column("last_result", "最近检测结果", "enum", enum=TEST_RESULTS),
        ),
        order=(("quarantine_start", "release_date"),),
        refs={"case_id": (("cases", "case_id"),)},
    ),
    Table(
        "returnees", "返乡/入境人员", "Returnees", key=("person_id",), region="required",
        columns=(
            person_id(),
            Column("name", "姓名", "str", True),
            Column("id_number", "身份证号", "str", checks=("id_number",), aliases=("身份证号码", "证件号码")),
            phone(),
            Column("origin_category", "人员类别", "enum", True, enum=(
                ("in_province", "省内返乡"), ("out_of_province", "省外返乡"),
                ("overseas", "境外入境", "入境"), ("nonlocal_staying", "外地留守"))),
            Column("origin_area", "来源地", "str"),
            Column("origin_risk", "来源地风险等级", "enum", True, aliases=("风险等级",), enum=(
                ("overseas", "境外"), ("high", "高风险"), ("medium", "中风险"),
                ("low", "低风险"), ("none", "无"))),
            date_col("arrival_date", "抵达日期", aliases=("返乡日期", "入境日期")),
            region_code(),
            Column("screening", "排查方式", "enum", enum=(
                ("carpet", "地毯式", "地毯式排查"), ("targeted", "点穴式", "点穴式排查"))),
            Column("health_code", "健康码", "enum", enum=(
                ("green", "绿码"), ("yellow", "黄码"), ("red", "红码"))),
            Column("measure", "管控措施", "enum", enum=(
                ("central_quarantine", "集中隔离"), ("home_quarantine", "居家隔离"),
                ("home_monitoring", "居家健康监测"), ("none", "无"))),
            date_col("measure_start", "管控开始", required=False, aliases=("管控开始日期",)),
            date_col("measure_end", "管控解除", required=False, aliases=("管控解除日期",)),
            Column("status", "状态", "enum", enum=(
                ("managed", "在管"), ("released", "已解除"), ("moved_out", "已转出"), ("positive", "阳性"))),
            Column("employer", "所在单位", "str"),
        ),
        order=(("measure_start", "measure_end"),),
        key_fallback={"person_id": "id_number"},
    ),
    Table(
        "tests", "核酸检测", "Tests", key=("person_id", "sample_date", "sample_no"),
        columns=(
            person_id(required=True),
            date_col("sample_date", "采样日期"),
            Column("sample_no", "样本编号", "str"),
            Column("pooled", "混检", "enum", aliases=("检测方式",), enum=(("single", "单检"), ("pooled", "混检"))),
            Column("result", "结果", "enum", True, aliases=("检测结果",), enum=TEST_RESULTS),
            Column("lab_id", "检测机构", "str", aliases=("机构编号",)),
        ),
        refs={"person_id": (("returnees", "person_id"), ("contacts", "contact_id"))},
    ),
    Table(
        "test_capacity", "检测能力", "Testing capacity", key=("date", "lab_id"), region="optional",
        columns=(
            date_col(),
            Column("lab_id", "机构编号", "str", True),
            Column("lab_name", "机构名称", "str"),
            Column("lab_type", "机构类型", "enum", enum=(
                ("cdc", "疾控"), ("hospital", "医院"), ("third_party", "第三方"))),
            region_code(required=False),
            count("capacity_tubes", "日检测能力(管)", required=True, aliases=("日检测能力",)),
            Column("pool_size", "混检比例", "int", checks=("pool_size",), default=1),
            count("tubes_tested", "实检管数"),
            amount("turnaround_hours", "平均出结果时长", aliases=("平均出结果时长(小时)",)),
            count("sampling_points", "开放采样点"),
            count("staff", "在岗人员"),
        ),
    ),
    Table(
        "reserves", "物资储备", "Material reserves", key=("date", "warehouse_id", "item_code"), region="optional",
        columns=(
            date_col(),
            Column("warehouse_id", "仓库编号", "str", True),
            Column("warehouse_name", "仓库名称", "str"),
            region_code(required=False),
            Column("item_code", "物资编码", "str", True),
            Column("item_name", "物资名称", "str"),
            Column("unit", "单位", "str"),
            amount("on_hand", "库存数量", required=True),
            amount("daily_use", "日均消耗"),
            count("target_days", "储备目标天数", default=30),
            amount("min_quantity", "最低储备量"),
        ),
    ),
    Table(
        "funds", "防控经费", "Funds", key=("date", "source", "purpose"),
        columns=(
            date_col(),
            Column("source", "资金来源", "enum", True, enum=(
                ("central", "中央"), ("provincial", "省级"), ("municipal", "市级"), ("donation", "社会捐赠"))),
            Column("purpose", "用途", "enum", True, enum=(
                ("testing", "核酸检测"), ("quarantine", "隔离管控"), ("materials", "物资"),
                ("vaccination", "疫苗接种"), ("subsidies", "补贴"), ("publicity", "宣传"), ("other", "其他"))),
            amount("allocated", "下达", required=True, aliases=("下达(万元)", "下达金额")),
            amount("disbursed", "拨付", aliases=("拨付(万元)", "拨付金额")),
            amount("spent", "支出", aliases=("支出(万元)", "支出金额")),
        ),
    ),
    Table(
        "grid_units", "网格包干", "Grid units", key=("region_code",), region="required",
        columns=(
            region_code(),
            Column("responsible_person", "包干责任人", "str", True, aliases=("责任人",)),
            phone(),
            Column("responsible_level", "责任人层级", "enum", enum=(
                ("city_leader", "市级领导"), ("township_cadre", "乡镇干部"),
                ("village_cadre", "村干部"), ("group_cadre", "组干部"))),
            flag("has_guide", "有防控指南"),
            flag("has_system_owner", "有制度和责任人"),
            flag("has_materials", "有防护物资"),
            flag("has_medical_support", "有医疗力量指导"),
            flag("has_isolation_transfer", "有隔离和转运安排"),
            date_col("checked_date", "核查日期", required=False),
        ),
    ),
    Table(
        "sentinel_sites", "监测哨点", "Sentinel sites", key=("site_id",), region="required",
        columns=(
            Column("site_id", "哨点编号", "str", True),
            Column("site_name", "哨点名称", "str", True),
            Column("site_type", "哨点类型", "enum", True, enum=(
                ("fever_clinic", "发热门诊"), ("pharmacy", "药店"), ("village_clinic", "村卫生室"),
                ("school", "学校"), ("market", "农贸市场"), ("cold_chain", "冷链"),
                ("service_window", "服务窗口"))),
            region_code(), LON, LAT,
        ),
    ),
    Table(
        "sentinel_reports", "哨点监测", "Sentinel reports", key=("date", "site_id"),
        columns=(
            date_col(),
            Column("site_id", "哨点编号", "str", True),
            count("visits", "就诊/购药人次", required=True, aliases=("就诊人次", "购药人次")),
            count("fever", "发热人数"),
            flag("flagged", "异常"),
        ),
        refs={"site_id": (("sentinel_sites", "site_id"),)},
    ),
    Table(
        "publicity", "宣传", "Publicity", key=("date", "region_code", "channel"), region="required",
        columns=(
            date_col(),
            region_code(),
            Column("channel", "宣传渠道", "enum", True, aliases=("渠道",), enum=(
                ("vehicle", "流动宣传车"), ("cable_tv", "有线电视"), ("village_broadcast", "村村响"),
                ("loudspeaker", "宣传喇叭"), ("bulletin_board", "宣传栏"), ("poster", "海报", "宣传海报"),
                ("leaflet", "宣传单"), ("sms", "短信"), ("wechat", "微信"))),
            count("activities", "次数", required=True, aliases=("宣传次数",)),
            count("reach", "覆盖人数"),
            Column("theme", "主题", "enum", aliases=("宣传主题",), enum=(
                ("knowledge", "防疫知识"), ("protection", "个人防护"), ("policy", "政策"),
                ("vaccination", "疫苗接种"), ("confidence", "信心"))),
        ),
    ),
    Table(
        "orders", "指挥调度指令", "Command orders", key=("order_id",), region="optional",
        columns=(
            Column("order_id", "指令编号", "str", True),
            Column("issued_at", "下达时间", "timestamp", True),
            Column("task_force", "专班", "enum", True, aliases=("责任专班",), enum=TASK_FORCES),
            region_code(required=False),
            Column("subject", "事项", "str", aliases=("指令事项",)),
            Column("deadline", "办结时限", "timestamp", True),
            Column("closed_at", "办结时间", "timestamp"),
        ),
        order=(("issued_at", "deadline"), ("issued_at", "closed_at")),
    ),
    Table(
        "duty_roster", "值守", "Duty roster", key=("date", "shift"),
        columns=(
            date_col(),
            Column("shift", "班次", "enum", True, enum=(("day", "白班"), ("night", "夜班"))),
            Column("leader", "带班领导", "str", True),
            count("staff_count", "值班人数"),
            count("events", "处置事项"),
        ),
    ),
    Table(
        "supervision", "督导", "Supervision", key=("issue_id",), region="required",
        columns=(
            Column("issue_id", "问题编号", "str", True),
            date_col("found_date", "发现日期"),
            region_code(),
            Column("task_force", "专班", "enum", aliases=("责任专班",), enum=TASK_FORCES),
            Column("description", "问题描述", "str"),
            Column("severity", "严重程度", "enum", enum=(("minor", "一般"), ("major", "较重"), ("critical", "严重"))),
            date_col("due_date", "整改时限"),
            date_col("rectified_date", "整改完成日期", required=False),
            flag("verified", "复核通过"),
        ),
        order=(("found_date", "due_date"), ("found_date", "rectified_date")),
    ),
    Table(
        "vaccinations", "疫苗接种", "Vaccinations", key=("date", "region_code", "age_group", "dose"), region="required",
        columns=(
            date_col(),
            region_code(),
            Column("age_group", "年龄组", "enum", True, enum=(
                ("3-11", "3-11岁"), ("12-17", "12-17岁"), ("18-59", "18-59岁"), ("60+", "60岁以上", "60岁及以上"))),
            Column("dose", "剂次", "enum", True, enum=(("first", "第一剂"), ("full", "全程"), ("booster", "加强", "加强针"))),
            count("doses", "接种剂次", required=True, aliases=("接种数",)),
        ),
    ),
)

TABLES_BY_NAME = {t.name: t for t in TABLES}

# Order in which tables must be loaded so that references resolve.
LOAD_ORDER = (
    "regions", "cases", "contacts", "returnees", "tests", "test_capacity", "reserves", "funds",
    "grid_units", "sentinel_sites", "sentinel_reports", "publicity", "orders", "duty_roster",
    "supervision", "vaccinations",
)
assert set(LOAD_ORDER) == set(TABLES_BY_NAME)

# Personal data: shown masked unless a role allows it.
PERSONAL_COLUMNS = {"returnees": ("name", "id_number", "phone"), "grid_units": ("phone",)}

# Tables the importer writes besides the contract's tables.
BOUNDARIES_DDL = """
CREATE TABLE IF NOT EXISTS boundaries (
    region_code VARCHAR PRIMARY KEY,
    level VARCHAR,
    geometry VARCHAR  -- GeoJSON geometry object as text
)"""

IMPORT_LOG_DDL = """
CREATE TABLE IF NOT EXISTS import_log (
    import_id BIGINT PRIMARY KEY,
    imported_at TIMESTAMP,
    user_name VARCHAR,
    file_name VARCHAR,
    sha256 VARCHAR,
    table_name VARCHAR,
    rows_inserted BIGINT,
    rows_updated BIGINT,
    rows_rejected BIGINT,
    status VARCHAR  -- loaded, partial (with --skip-invalid), rejected
)"""


def table_ddl(table: Table) -> str:
    """CREATE TABLE statement of one contract table (plus the lineage column _import_id)."""
    cols = [f"{c.name} {c.sql_type}" for c in table.columns]
    cols.append("_import_id BIGINT")
    return f"CREATE TABLE IF NOT EXISTS {table.name} (\n    " + ",\n    ".join(cols) + "\n)"


def all_ddl() -> list[str]:
    return [table_ddl(t) for t in TABLES] + [BOUNDARIES_DDL, IMPORT_LOG_DDL]

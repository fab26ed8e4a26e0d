"""The README sheet of an export: every sheet and column in Japanese and English.

Fixed text in both languages at once (the sheet is read by people using either),
so it is not in the translation catalogue.
"""

from yorisou.reforms.workbook import SHEETS

# Bilingual help shown on the README sheet (fixed text, in both languages at once).
_SHEET_HELP: dict[str, tuple[str, str]] = {
    "plan": ("計画そのもの（1行のみ）", "The plan itself (exactly one row)"),
    "stages": ("ステージ", "Stages"),
    "pillars": ("推進項目（ステージの下）", "Promotion items (under a stage)"),
    "initiatives": ("取組（推進項目の下）", "Initiatives (under a promotion item)"),
    "items": (
        "取組項目（取組の下）。進捗報告の単位",
        "Action items (under an initiative); progress is reported on them",
    ),
    "schedule": (
        "取組項目の年度・四半期ごとの予定",
        "What an action item plans per fiscal year or quarter",
    ),
    "milestones": ("取組項目のマイルストーン", "Milestones of action items"),
    "periods": (
        "報告期間（FY2024, FY2024-H1, FY2024-Q3）",
        "Reporting periods (FY2024, FY2024-H1, FY2024-Q3)",
    ),
    "status_reports": (
        "取組項目ごと・報告期間ごとの進捗報告",
        "Status report of an action item for a period",
    ),
    "indicators": ("検証指標", "Verification indicators"),
    "indicator_values": (
        "検証指標の年度ごとの実績値・目標値",
        "Yearly actual and target values of indicators",
    ),
    "series": ("運用データの時系列", "Operational time series"),
    "series_points": ("時系列の値", "Points of a time series"),
}
_COLUMN_HELP: dict[str, tuple[str, str]] = {
    "code": (
        "コード（この計画の中で一意。取り込みはコードで照合）",
        "Code, unique in the plan; import matches rows by it",
    ),
    "name_ja": ("名称（日本語）", "Name in Japanese"),
    "name_en": ("名称（英語、任意）", "Name in English (optional)"),
    "description": ("説明", "Description"),
    "start_fy": ("開始年度（西暦4桁）", "First fiscal year (4 digits)"),
    "end_fy": ("終了年度（西暦4桁）", "Last fiscal year (4 digits)"),
    "org_unit_code": ("担当組織のコード", "Code of the responsible organisation unit"),
    "is_public": (
        "市民に公開する（true / false）",
        "Published to citizens (true / false)",
    ),
    "goal": ("目標", "Goal"),
    "sort_order": ("表示順（整数）", "Display order (whole number)"),
    "stage_code": ("ステージのコード", "Code of the stage"),
    "pillar_code": ("推進項目のコード", "Code of the promotion item"),
    "initiative_code": ("取組のコード", "Code of the initiative"),
    "item_code": ("取組項目のコード", "Code of the action item"),
    "aim": ("ねらい", "Aim"),
    "weight": ("重み（0以上、空欄は1）", "Weight (0 or more; blank is 1)"),
    "indicator_codes": (
        "関連する検証指標のコード（カンマ区切り）",
        "Codes of related indicators, separated by commas",
    ),
    "fiscal_year": ("年度（西暦4桁）", "Fiscal year (4 digits)"),
    "quarter": ("四半期（1〜4、通年は0）", "Quarter (1–4; 0 for the whole year)"),
    "title": (
        "マイルストーン名（取組項目の中で一意）",
        "Milestone, unique within the action item",
    ),
    "due_on": ("期限（YYYY-MM-DD）", "Due date (YYYY-MM-DD)"),
    "done_on": (
        "達成日（YYYY-MM-DD、未達成は空欄）",
        "Date reached (YYYY-MM-DD; blank if not yet)",
    ),
    "deadline": (
        "報告期限（YYYY-MM-DD、空欄は期末の30日後）",
        "Reporting deadline (YYYY-MM-DD; blank: 30 days after the end)",
    ),
    "is_closed": ("締切済み（true / false）", "Closed (true / false)"),
    "period_code": ("報告期間のコード", "Code of the reporting period"),
    "state": (
        "確認状況: draft / submitted / returned / approved",
        "Review state: draft / submitted / returned / approved",
    ),
    "status": (
        "進捗: on_plan 計画通り / changed 一部変更・遅れ / done 完了 / "
        "not_started 未着手 / stopped 中止",
        "Status: on_plan / changed / done / not_started / stopped",
    ),
    "progress": ("進捗率（0〜100の整数）", "Progress in % (whole number 0–100)"),
    "reason": (
        "理由（計画通り・完了以外は必須）",
        "Reason (required unless on plan or done)",
    ),
    "narrative": ("取組状況", "What was done"),
    "review_comment": ("確認者のコメント", "Reviewer's comment"),
    "approved_status": (
        "承認された進捗（空欄なら承認時に進捗をコピー）",
        "Approved status (blank: copied from status when approved)",
    ),
    "approved_progress": ("承認された進捗率", "Approved progress in %"),
    "approved_reason": ("承認された理由", "Approved reason"),
    "group": ("グループ", "Group"),
    "unit": ("単位", "Unit"),
    "direction": (
        "望ましい方向: higher 高いほど良い / lower 低いほど良い",
        "Which way is better: higher / lower",
    ),
    "target_kind": (
        "目標の種類: at_least 以上 / at_most 以下",
        "Target kind: at_least (floor) / at_most (ceiling)",
    ),
    "baseline_year": ("基準年度", "Baseline fiscal year"),
    "baseline_value": ("基準値", "Baseline value"),
    "decimals": ("表示する小数桁数（0〜4）", "Decimal places shown (0–4)"),
    "source": ("出典", "Source"),
    "notes": ("備考", "Notes"),
    "indicator_code": ("検証指標のコード", "Code of the indicator"),
    "kind": ("種類: actual 実績 / target 目標", "Kind: actual / target"),
    "value": ("値", "Value"),
    "note": ("注記", "Note"),
    "frequency": (
        "頻度: monthly / quarterly / yearly",
        "Frequency: monthly / quarterly / yearly",
    ),
    "chart": (
        "同じグラフに描く系列の共通キー",
        "Series with the same chart key are drawn together",
    ),
    "series_code": (
        "時系列のコード（全計画で一意）",
        "Code of the series (unique across plans)",
    ),
    "on": ("日付（YYYY-MM-DD）", "Date (YYYY-MM-DD)"),
    "origin": ("入力元（空欄は import）", "Origin (blank: import)"),
}
_GENERAL_HELP = [
    (
        "取り込みはコードで照合して追加・更新します。ファイルにない行は削除しません。",
        "Import adds or updates rows matched by code; rows not in the file are kept.",
    ),
    (
        "誤りが1つでもあれば何も取り込まず、すべての誤りをシート・行・列で示します。",
        "If any cell is wrong nothing is imported, and every error is listed "
        "by sheet, row and column.",
    ),
    (
        "選択肢の列はコード（on_plan など）のほか日本語・英語の表示名も使えます。",
        "Choice columns take the code (e.g. on_plan) or its Japanese or English label.",
    ),
    (
        "このシート（README）は取り込み時に無視されます。",
        "This README sheet is ignored on import.",
    ),
]


def readme_rows() -> list[list[str]]:
    rows: list[list[str]] = [["*", "", ja, en] for ja, en in _GENERAL_HELP]
    for sheet, columns in SHEETS.items():
        ja, en = _SHEET_HELP[sheet]
        rows.append([sheet, "", ja, en])
        for column in columns:
            if column.endswith("_label") or column.endswith("_label_en"):
                level = column.split("_label")[0]
                english = " (English)" if column.endswith("_en") else ""
                rows.append(
                    [
                        sheet,
                        column,
                        f"{level} の階層の呼び名{'（英語）' if english else ''}",
                        f"Name of the {level} level{english}",
                    ]
                )
                continue
            ja, en = _COLUMN_HELP[column]
            rows.append([sheet, column, ja, en])
    return rows

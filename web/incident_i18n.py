"""The incident and timeline pages' own words (Indonesian, English); issue types use the taxonomy's names."""

from __future__ import annotations

from collections.abc import Callable

from pantau.web.i18n import translator

STRINGS: dict[str, tuple[str, str]] = {
    "incidents": ("Insiden", "Incidents"),
    "incident": ("Insiden", "Incident"),
    "events": ("Linimasa layanan", "Service timeline"),
    "no_incidents": ("Tidak ada insiden dengan filter ini.", "No incidents match these filters."),
    "title": ("Judul", "Title"),
    "posts": ("Unggahan", "Posts"),
    "first_seen": ("Pertama", "First seen"),
    "last_seen": ("Terakhir", "Last seen"),
    "trend": ("Tren", "Trend"),
    "sla": ("SLA", "SLA"),
    "sla_ack": ("Batas diakui", "Acknowledge by"),
    "sla_resolve": ("Batas selesai", "Resolve by"),
    "overdue": ("terlambat", "overdue"),
    "active": ("Aktif", "Active"),
    "all_statuses": ("Semua status", "All statuses"),
    "merge_selected": ("Gabungkan yang dipilih ke", "Merge selected into"),
    "merge": ("Gabungkan", "Merge"),
    "split_selected": ("Pisahkan unggahan terpilih ke insiden baru", "Split selected posts into a new incident"),
    "new_title": ("Judul insiden baru (opsional)", "New incident title (optional)"),
    "export_json": ("Ekspor tiket JSON", "Export ticket JSON"),
    "export_email": ("Ekspor e-mail (.eml)", "Export e-mail (.eml)"),
    "alerts": ("Peringatan lonjakan", "Spike alerts"),
    "merged_into": ("Digabung ke", "Merged into"),
    "add_event": ("Catat peristiwa", "Record an event"),
    "kind": ("Jenis", "Kind"),
    "starts": ("Mulai", "Starts"),
    "ends": ("Selesai (opsional)", "Ends (optional)"),
    "description": ("Keterangan", "Description"),
    "remove": ("Hapus", "Remove"),
    "no_events": ("Belum ada peristiwa tercatat.", "No events recorded yet."),
    "by": ("Oleh", "By"),
    "events_help": (
        "Rilis aplikasi, gangguan yang diketahui dan pemeliharaan tampil sebagai garis pada grafik tren; "
        "ringkasan harian menyebut dampaknya pada keluhan.",
        "App releases, known outages and maintenance are drawn as lines on trend charts; the daily digest "
        "states their effect on complaints.",
    ),
    "release": ("rilis", "release"),
    "maintenance": ("pemeliharaan", "maintenance"),
    "state_none": ("tanpa SLA", "no SLA"),
    "state_running": ("berjalan", "running"),
    "state_overdue": ("terlambat", "overdue"),
    "state_met": ("terpenuhi", "met"),
    "state_breached": ("terpenuhi terlambat", "met late"),
    "trend_new": ("baru", "new"),
    "trend_rising": ("naik", "rising"),
    "trend_steady": ("stabil", "steady"),
    "trend_falling": ("turun", "falling"),
    "trend_quiet": ("reda", "quiet"),
    "merged": ("Digabung", "Merged"),
}


def incident_translator(language: str) -> Callable[..., str]:
    """These words first, then the app's own (statuses, common labels)."""
    index = 0 if language == "id" else 1
    common = translator(language)

    def translate(key: str, **values: object) -> str:
        pair = STRINGS.get(key)
        if pair is None:
            return common(key, **values)
        return pair[index].format(**values) if values else pair[index]

    return translate

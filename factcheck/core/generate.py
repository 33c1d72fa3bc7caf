"""Synthetic published fact-checks in bulk, for benchmarks and load tests (`flask generate`).

Words are drawn with Zipf-like weights from a fixed vocabulary per language, so common words match
many fact-checks and rare ones few, as in real text; most fact-checks are English, the rest in
French, German, Spanish, Portuguese, Russian, Turkish and Arabic. Rows go through
store.bulk_insert_published a batch at a time (one transaction each, so memory stays bounded at
any count), which bypasses the per-item use cases (and their revisions) on purpose: this is
test data.
"""

import multiprocessing
import random
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from queue import Empty
from typing import Any

from sqlalchemy import event, select, text

from factcheck.core.organizations import create_organization
from factcheck.storage import search_index, store
from factcheck.storage.db import db, unbounded
from factcheck.storage.models import DEFAULT_RATING_SCALE, Organization, utcnow

VOCABULARY = """
inflation wages rents prices taxes budget deficit debt growth unemployment jobs exports imports
sanctions tariffs oil gas energy electricity coal wind solar nuclear climate emissions carbon
vaccine virus hospital doctors nurses patients waiting cancer health insurance pension benefits
school teachers students university fees housing mortgage interest bank currency euro dollar
crime police prison courts judges immigration border asylum refugees visa citizens voters
election ballot fraud turnout parliament minister president senator mayor council governor
army navy missile drone war ceasefire treaty alliance embassy summit trade deal agreement
farmers wheat grain fertiliser drought flood wildfire storm heatwave water pollution plastic
transport railway bridge airport motorway traffic fuel diesel petrol electric cars batteries
internet broadband privacy censorship media newspaper television journalists broadcaster
poverty hunger charity donations aid loans grants subsidies investment factory steel mining
population birth rate deaths life expectancy obesity smoking alcohol drugs addiction
""".split()
VERBS = (
    "doubled halved rose fell tripled collapsed soared dropped stalled recovered vanished "
    "increased decreased caused prevented funded blocked banned approved cut raised"
).split()
NAMES = (
    "Alex Morgan|Sam Carter|Jordan Lee|Taylor Brooks|Casey Fields|Riley Shaw|Jamie Hart|"
    "Drew Ellis|Robin Vale|Morgan Price|Chris Dale|Pat Quinn"
).split("|")
# Other languages' vocabularies: inflected forms, so that stemming has work to do.
OTHER_VOCABULARIES = {
    "fr": """inflation salaires loyers prix impôts budget déficit dette croissance chômage emplois
    exportations sanctions pétrole gaz énergie électricité climat émissions vaccin virus hôpital
    médecins patients retraites écoles enseignants étudiants logement banque euro police prison
    tribunaux immigration frontière réfugiés élections électeurs fraude parlement ministre
    président maire armée guerre accord agriculteurs blé sécheresse inondations pollution""",
    "de": """Inflation Löhne Mieten Preise Steuern Haushalt Defizit Schulden Wachstum
    Arbeitslosigkeit Exporte Sanktionen Öl Gas Energie Strom Klima Impfstoff Krankenhaus Ärzte
    Patienten Renten Schulen Lehrer Wohnungen Bank Polizei Gefängnis Gerichte Einwanderung
    Grenze Flüchtlinge Wahlen Wähler Betrug Parlament Minister Präsident Bürgermeister Armee
    Krieg Abkommen Bauern Weizen Dürre Überschwemmungen""",
    "es": """inflación salarios alquileres precios impuestos presupuesto déficit deuda
    crecimiento desempleo exportaciones sanciones petróleo gas energía electricidad clima vacuna
    hospital médicos pacientes pensiones escuelas maestros viviendas banco policía cárcel
    tribunales inmigración frontera refugiados elecciones votantes fraude parlamento ministro
    presidente alcalde ejército guerra acuerdo agricultores trigo sequía inundaciones""",
    "pt": """inflação salários aluguéis preços impostos orçamento défice dívida crescimento
    desemprego exportações sanções petróleo gás energia eletricidade clima vacina hospital
    médicos pacientes pensões escolas professores habitação banco polícia prisão tribunais
    imigração fronteira refugiados eleições eleitores fraude parlamento ministro presidente
    prefeito exército guerra acordo agricultores trigo seca inundações""",
    "ru": """инфляция зарплаты аренда цены налоги бюджет дефицит долг рост безработица
    экспорт санкции нефть газ энергия электричество климат вакцина больница врачи пациенты
    пенсии школы учителя жильё банк полиция тюрьма суды иммиграция граница беженцы выборы
    избиратели мошенничество парламент министр президент мэр армия война соглашение фермеры""",
    "tr": """enflasyon maaşlar kiralar fiyatlar vergiler bütçe açık borç büyüme işsizlik
    ihracat yaptırımlar petrol gaz enerji elektrik iklim aşı hastane doktorlar hastalar
    emekliler okullar öğretmenler konut banka polis cezaevi mahkemeler göç sınır mülteciler
    seçimler seçmenler sahtekarlık meclis bakan cumhurbaşkanı belediye ordu savaş anlaşma""",
    "ar": """التضخم الأجور الإيجارات الأسعار الضرائب الميزانية العجز الديون النمو البطالة
    الصادرات العقوبات النفط الغاز الطاقة الكهرباء المناخ اللقاح المستشفى الأطباء المرضى
    المعاشات المدارس المعلمون السكن البنك الشرطة السجن المحاكم الهجرة الحدود اللاجئون
    الانتخابات الناخبون التزوير البرلمان الوزير الرئيس الجيش الحرب الاتفاق المزارعون""",
}
# The share of each language among generated fact-checks, the rest English.
LANGUAGE_SHARES = {"fr": 8, "de": 6, "es": 6, "pt": 4, "ru": 3, "tr": 2, "ar": 2}
# Fact-checks per transaction (and per message from the generating process).
BATCH = 10_000
# A load this large or larger than the index rebuilds the postings' key and index after it.
REBUILD_FROM = 50_000
# SQLite's page cache during a load, in KiB (the default is 2 MB).
BULK_CACHE_KIB = 2_000_000


def organization(slug: str) -> Organization:
    found = store.organization_by_slug(slug)
    if found is not None:
        return found
    return create_organization(
        slug, "Synthetic Checks", f"https://{slug}.example.org/", rating_scale=DEFAULT_RATING_SCALE
    )


def fact_checks(
    count: int,
    slug: str = "synthetic",
    seed: int = 1,
    batch: int = BATCH,
    rebuild: bool | None = None,
) -> int:
    """Add `count` published fact-checks (five per article) to organization `slug`.

    More than one batch: a second process generates and analyses the text while this one
    writes (two cores, each half the work). A load at least as large as the index (`rebuild`
    None) or when asked: the postings' key and index are dropped first and built once at the
    end (search_index.unkeyed_postings); no search finds the new fact-checks until then.
    """
    if batch % 5:
        raise ValueError("a batch holds whole articles: five fact-checks each")
    owner = organization(slug)
    run = secrets.token_hex(4)
    if rebuild is None:
        rebuild = count >= max(REBUILD_FROM, _indexed())
    owner_id, owner_slug = owner.id, owner.slug
    with _load_settings():
        load = search_index.Load()
        if rebuild:
            with store.unit_of_work():
                load = search_index.unkeyed_postings()
        try:
            batches = (
                _batches(owner_id, owner_slug, run, seed, count, batch)
                if count <= batch
                else _batches_elsewhere(owner_id, owner_slug, run, seed, count, batch)
            )
            for articles, checks, analysed in batches:
                store.bulk_insert_published(articles, checks, analysed, load)
        finally:
            if rebuild:
                with store.unit_of_work():
                    search_index.keyed_postings()
        if store.dialect() == "postgresql":
            # Fresh statistics for the planner, once (a batch of a load skips its own).
            with store.unit_of_work():
                for table in ("fact_checks", "search_postings", "search_terms"):
                    db.session.execute(text(f"ANALYZE {table}"))
    return count


def _indexed() -> int:
    return db.session.scalar(select(search_index.totals.c.documents)) or 0


@contextmanager
def _load_settings() -> Iterator[None]:
    """The load's connections only, set as each is checked out (outside any transaction:
    SQLite refuses `synchronous` inside one); the pool is emptied after, so none keeps them.

    SQLite: a page cache large enough for the load's sorts, two threads to sort, no fsync.
    PostgreSQL: no statement timeout (the service's 3 s would cancel building an index over a
    hundred million postings, and the client gives up one second later) and no wait for the
    WAL flush at commit. Either way a load lost with the machine is generated again."""
    sqlite = store.dialect() == "sqlite"

    def configure(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if sqlite:
            dbapi_connection.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
            dbapi_connection.execute("PRAGMA threads = 2")
            dbapi_connection.execute("PRAGMA synchronous = OFF")
            return
        unbounded(dbapi_connection)
        dbapi_connection.execute("SET synchronous_commit = off")
        dbapi_connection.commit()

    db.session.remove()
    event.listen(db.engine, "checkout", configure)
    try:
        yield
    finally:
        event.remove(db.engine, "checkout", configure)
        db.session.remove()
        db.engine.dispose()


Batch = tuple[list[dict[str, Any]], list[dict[str, Any]], list[tuple[dict[str, int], int]]]


def _batches(
    owner_id: int, owner_slug: str, run: str, seed: int, count: int, batch: int
) -> Iterator[Batch]:
    """Each batch's articles, fact-checks and analysed text (frequencies, length per check)."""
    rng = random.Random(seed)
    analyser = search_index.Analyser()
    made = 0
    while made < count:
        size = min(batch, count - made)
        articles, checks = _batch(rng, owner_id, owner_slug, run, made, size)
        analysed = []
        for check in checks:
            headline = articles[check["article_index"]]["headline"]
            one = analyser.row(0, check, headline)
            analysed.append((one.frequencies, one.length))
        yield articles, checks, analysed
        made += size


def _batches_elsewhere(
    owner_id: int, owner_slug: str, run: str, seed: int, count: int, batch: int
) -> Iterator[Batch]:
    """_batches in a second process, at most two batches ahead (bounded memory)."""
    context = multiprocessing.get_context("spawn")
    queue: Any = context.Queue(maxsize=2)
    producer = context.Process(
        target=_produce,
        args=(queue, owner_id, owner_slug, run, seed, count, batch),
        daemon=True,
    )
    producer.start()
    try:
        made = 0
        while made < count:
            found = _next(queue, producer)
            made += len(found[1])
            yield found
    finally:
        producer.kill()
        producer.join()


def _next(queue: Any, producer: Any) -> Batch:
    """The next batch, or an error once the producer has died (it cannot always say so)."""
    while True:
        try:
            found: Batch | None = queue.get(timeout=1)
        except Empty:
            if not producer.is_alive():
                raise RuntimeError("the generating process ended early") from None
            continue
        if found is None:
            raise RuntimeError("the generating process failed (its traceback is above)")
        return found


def _produce(
    queue: Any, owner_id: int, owner_slug: str, run: str, seed: int, count: int, batch: int
) -> None:
    try:
        for found in _batches(owner_id, owner_slug, run, seed, count, batch):
            queue.put(found)
    except BaseException:
        queue.put(None)
        raise


def _vocabularies() -> dict[str, tuple[list[str], list[float]]]:
    found = {"en": VOCABULARY, **{k: v.split() for k, v in OTHER_VOCABULARIES.items()}}
    return {
        lang: (words, [1 / (rank + 1) for rank in range(len(words))])
        for lang, words in found.items()
    }


VOCABULARIES = _vocabularies()


def language_of(index: int) -> str:
    """The language of the index-th generated fact-check (every article has one language)."""
    slot = (index // 5) % 100
    for lang, share in LANGUAGE_SHARES.items():
        if slot < share:
            return lang
        slot -= share
    return "en"


def _batch(
    rng: random.Random,
    owner_id: int,
    owner_slug: str,
    run: str,
    start: int,
    size: int,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    lang = "en"

    def words(number: int) -> str:
        vocabulary, weights = VOCABULARIES[lang]
        return " ".join(rng.choices(vocabulary, weights, k=number))

    now = utcnow()
    articles: list[dict[str, Any]] = []
    checks: list[dict[str, Any]] = []
    for index in range(start, start + size):
        lang = language_of(index)
        if index % 5 == 0:
            url = f"https://{owner_slug}.example.org/articles/{run}-{index // 5}"
            articles.append(
                {
                    "organization_id": owner_id,
                    "url": url,
                    "url_key": url,
                    "headline": f"{words(3).capitalize()} {rng.choice(VERBS)} {words(3)}",
                    "in_language": lang,
                    "version": 1,
                    "date_created": now,
                    "date_modified": now,
                }
            )
        subject, verb = words(2).capitalize(), rng.choice(VERBS)
        claim = f"{subject} {verb} in {rng.randint(1990, 2025)}"
        value = rng.randint(1, 5)
        published = now - timedelta(minutes=rng.randint(0, 500_000))
        page = f"https://{owner_slug}.example.org/checks/{run}-{index}"
        checks.append(
            {
                "organization_id": owner_id,
                "article_index": len(articles) - 1,
                "status": "published",
                "version": 1,
                "claim_reviewed": claim,
                "quote": f"{subject} {verb}, {words(10)}.",
                "claim_author": {"name": rng.choice(NAMES), "kind": "Person"},
                "claim_date": published.date(),
                "claim_appearances": [],
                "rating_value": value,
                "best_rating": 5,
                "worst_rating": 1,
                "alternate_name": DEFAULT_RATING_SCALE["labels"][value - 1]["alternateName"],
                "rating_explanation": f"The {words(1)} figures show {words(8)}.",
                "review_body": " ".join(_sentences(words, 3)),
                "evidence": [{"url": "https://stats.example.gov/", "relation": "context"}],
                "url": page,
                "url_key": page,
                "in_language": lang,
                "date_created": published,
                "date_modified": published,
                "date_published": published,
            }
        )
    return articles, checks


def _sentences(words: Any, count: int) -> Iterator[str]:
    for _ in range(count):
        yield words(12).capitalize() + "."

"""Synthetic published fact-checks in bulk, for benchmarks and load tests (`flask generate`).

Words are drawn with Zipf-like weights from a fixed vocabulary per language, so common words match
many fact-checks and rare ones few, as in real text; most fact-checks are English, the rest in
French, German, Spanish, Portuguese, Russian, Turkish and Arabic. Rows go through
store.bulk_insert_published a batch at a time (one transaction each, so memory stays bounded at
any count), which bypasses the per-item use cases (and their revisions) on purpose: this is
test data.
"""

import random
import secrets
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from factcheck.core.organizations import create_organization
from factcheck.storage import store
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
BATCH = 1_000


def organization(slug: str) -> Organization:
    found = store.organization_by_slug(slug)
    if found is not None:
        return found
    return create_organization(
        slug, "Synthetic Checks", f"https://{slug}.example.org/", rating_scale=DEFAULT_RATING_SCALE
    )


def fact_checks(count: int, slug: str = "synthetic", seed: int = 1) -> int:
    """Add `count` published fact-checks (five per article) to organization `slug`."""
    owner = organization(slug)
    rng = random.Random(seed)
    run = secrets.token_hex(4)
    made = 0
    while made < count:
        size = min(BATCH, count - made)
        articles, checks = _batch(rng, owner, run, made, size)
        store.bulk_insert_published(articles, checks)
        made += size
    return made


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
    owner: Organization,
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
            url = f"https://{owner.slug}.example.org/articles/{run}-{index // 5}"
            articles.append(
                {
                    "organization_id": owner.id,
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
        page = f"https://{owner.slug}.example.org/checks/{run}-{index}"
        checks.append(
            {
                "organization_id": owner.id,
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

"""The survey's words in English, Russian and Ukrainian, as data: one dict per language.

Country and language names come from pycountry's translations of ISO 3166 and ISO 639
(gettext catalogues shipped in its wheel), so a name is written the way those standards'
translators write it.
"""

from __future__ import annotations

import gettext
from functools import cache

import pycountry

LANGUAGES = ("en", "ru", "uk")

EN = {
    "title": "Open Educational Resources in the CIS and Baltic countries",
    "title_country": "Open Educational Resources: {country}",
    "title_theme": "{title}. Theme: {theme}",
    "subtitle": "A survey of what oerhub's catalogue holds, {date}",
    "contents": "Contents",
    "summary": "Summary",
    "map": "Coverage map",
    "countries": "Countries",
    "themes": "Themes",
    "methods": "Methods annex",
    "records": "Records",
    "unique_resources": "Unique resources",
    "sources": "Sources",
    "sources_ok": "ok",
    "sources_failing": "failing",
    "sources_never": "never harvested",
    "countries_covered": "Countries covered",
    "open_license_share": "Open licence",
    "languages": "Languages",
    "of_15": "of {n}",
    "since": "Since {date}",
    "new_resources": "new resources",
    "new_sources": "new sources",
    "sources_lost": "sources lost",
    "map_caption": "Unique resources per country (darker: more). Grey: none.",
    "bar_caption": "Unique resources per country",
    "country": "Country",
    "language": "Language",
    "licence": "Licence",
    "type": "Resource type",
    "level": "ISCED level",
    "month": "Month",
    "provider": "Provider",
    "share": "Share",
    "national_share": "In the country's own languages",
    "protocol": "Protocol",
    "status": "Status",
    "last_ok": "Last ok harvest",
    "failures": "Failed runs",
    "growth": "Growth: records by month first harvested",
    "top_providers": "Top providers",
    "missing": "What is missing",
    "no_source": "No source of {country} is in the registry: the catalogue has nothing from it.",
    "no_records": "No resource of {country} is in the catalogue yet.",
    "no_open": "No resource of {country} carries an open licence.",
    "no_national": "No resource of {country} is in its own language ({languages}).",
    "low_open": "Only {share} of the resources of {country} carry an open licence.",
    "failing": "{n} of its sources failed at the last harvest: {ids}.",
    "never": "{n} of its sources were never harvested: {ids}.",
    "no_level": "No resource of {country} states an education level (ISCED).",
    "nothing_missing": "Nothing obvious is missing.",
    "none": "none",
    "never_short": "never",
    "themes_text": "Records by theme (config/themes.toml) and country: how many live records of each country the themes step found in the theme, and their share of the country's live records. A record may be in several themes or in none.",
    "methods_harvest": "The catalogue was harvested from {first} to {last} in {runs} runs. Each "
                       "source is read with its own protocol (OAI-PMH, sitemaps with "
                       "schema.org, feeds, JSON APIs, HTML pages) at the address in the "
                       "registry below.",
    "methods_normalise": "Values were normalised once, at harvest: languages to ISO 639-1, "
                         "licences to SPDX identifiers (an open licence is any stated "
                         "licence; none stated counts as not open), resource types to a "
                         "controlled list, education levels to ISCED 2011, countries to ISO "
                         "3166-1. Records of one resource given by several sources (same "
                         "DOI, handle, link, or title and creator) count once as a unique "
                         "resource. A source is ok when its last finished run was ok, failing "
                         "when it was not, never harvested without a run.",
    "methods_limits": "Known limits: the catalogue holds only what its sources expose; a "
                      "resource without a stated licence may still be open; languages are "
                      "as declared by the source; growth shows when oerhub first saw a "
                      "record, not when it was published; a resource given in two countries "
                      "counts in each country and once in the region's total.",
    "registry": "The registry",
    "figures_note": "The data behind every chart and table is in figures/*.csv beside this page.",
    "page": "Page",
    "status_ok": "ok", "status_failing": "failing", "status_never": "never harvested",
}

RU = {
    "title": "Открытые образовательные ресурсы в странах СНГ и Балтии",
    "title_country": "Открытые образовательные ресурсы: {country}",
    "title_theme": "{title}. Тема: {theme}",
    "subtitle": "Обзор каталога oerhub, {date}",
    "contents": "Содержание",
    "summary": "Краткий обзор",
    "map": "Карта охвата",
    "countries": "Страны",
    "themes": "Темы",
    "methods": "Приложение: методы",
    "records": "Записи",
    "unique_resources": "Уникальные ресурсы",
    "sources": "Источники",
    "sources_ok": "в порядке",
    "sources_failing": "со сбоями",
    "sources_never": "ни разу не собраны",
    "countries_covered": "Охвачено стран",
    "open_license_share": "Открытая лицензия",
    "languages": "Языки",
    "of_15": "из {n}",
    "since": "С {date}",
    "new_resources": "новых ресурсов",
    "new_sources": "новых источников",
    "sources_lost": "потеряно источников",
    "map_caption": "Уникальные ресурсы по странам (темнее — больше). Серым — нет ни одного.",
    "bar_caption": "Уникальные ресурсы по странам",
    "country": "Страна",
    "language": "Язык",
    "licence": "Лицензия",
    "type": "Тип ресурса",
    "level": "Уровень МСКО",
    "month": "Месяц",
    "provider": "Поставщик",
    "share": "Доля",
    "national_share": "На языках страны",
    "protocol": "Протокол",
    "status": "Состояние",
    "last_ok": "Последний успешный сбор",
    "failures": "Неудачных запусков",
    "growth": "Рост: записи по месяцу первого сбора",
    "top_providers": "Основные поставщики",
    "missing": "Чего не хватает",
    "no_source": "В реестре нет ни одного источника страны «{country}»: в каталоге от неё ничего нет.",
    "no_records": "В каталоге пока нет ни одного ресурса страны «{country}».",
    "no_open": "Ни один ресурс страны «{country}» не имеет открытой лицензии.",
    "no_national": "Ни одного ресурса страны «{country}» на её языках ({languages}).",
    "low_open": "Лишь {share} ресурсов страны «{country}» имеют открытую лицензию.",
    "failing": "Источников со сбоем при последнем сборе: {n} ({ids}).",
    "never": "Источников, ни разу не собранных: {n} ({ids}).",
    "no_level": "Ни один ресурс страны «{country}» не указывает уровень образования (МСКО).",
    "nothing_missing": "Явных пробелов нет.",
    "none": "нет",
    "never_short": "никогда",
    "themes_text": "Записи по темам (config/themes.toml) и странам: сколько действующих записей страны шаг themes отнёс к теме и их доля среди всех действующих записей страны. Запись может входить в несколько тем или ни в одну.",
    "methods_harvest": "Каталог собран с {first} по {last} за {runs} запусков. Каждый источник "
                       "читается своим протоколом (OAI-PMH, карты сайта со schema.org, ленты, "
                       "JSON API, HTML-страницы) по адресу из реестра ниже.",
    "methods_normalise": "Значения нормализованы один раз, при сборе: языки — по ISO 639-1, "
                         "лицензии — идентификаторы SPDX (открытой считается любая указанная "
                         "лицензия; без лицензии — не открытый), типы ресурсов — по "
                         "контролируемому списку, уровни образования — по МСКО 2011, страны — "
                         "по ISO 3166-1. Записи одного ресурса из нескольких источников (тот же "
                         "DOI, handle, ссылка или название и автор) считаются одним уникальным "
                         "ресурсом. Источник в порядке, если его последний завершённый запуск "
                         "успешен, со сбоем — если нет, ни разу не собран — если запусков не было.",
    "methods_limits": "Ограничения: в каталоге лишь то, что открывают источники; ресурс без "
                      "указанной лицензии может быть открытым; языки — как их указал "
                      "источник; рост показывает, когда oerhub впервые увидел запись, а не "
                      "когда она опубликована; ресурс из двух стран учтён в каждой из них и "
                      "один раз в итоге по региону.",
    "registry": "Реестр",
    "figures_note": "Данные каждого графика и таблицы — в figures/*.csv рядом с этой страницей.",
    "page": "Стр.",
    "status_ok": "в порядке", "status_failing": "сбой", "status_never": "не собран",
}

UK = {
    "title": "Відкриті освітні ресурси в країнах СНД і Балтії",
    "title_country": "Відкриті освітні ресурси: {country}",
    "title_theme": "{title}. Тема: {theme}",
    "subtitle": "Огляд каталогу oerhub, {date}",
    "contents": "Зміст",
    "summary": "Стислий огляд",
    "map": "Карта охоплення",
    "countries": "Країни",
    "themes": "Теми",
    "methods": "Додаток: методи",
    "records": "Записи",
    "unique_resources": "Унікальні ресурси",
    "sources": "Джерела",
    "sources_ok": "справні",
    "sources_failing": "зі збоями",
    "sources_never": "жодного разу не зібрані",
    "countries_covered": "Охоплено країн",
    "open_license_share": "Відкрита ліцензія",
    "languages": "Мови",
    "of_15": "з {n}",
    "since": "Від {date}",
    "new_resources": "нових ресурсів",
    "new_sources": "нових джерел",
    "sources_lost": "втрачено джерел",
    "map_caption": "Унікальні ресурси за країнами (темніше — більше). Сірим — жодного.",
    "bar_caption": "Унікальні ресурси за країнами",
    "country": "Країна",
    "language": "Мова",
    "licence": "Ліцензія",
    "type": "Тип ресурсу",
    "level": "Рівень МСКО",
    "month": "Місяць",
    "provider": "Постачальник",
    "share": "Частка",
    "national_share": "Мовами країни",
    "protocol": "Протокол",
    "status": "Стан",
    "last_ok": "Останній успішний збір",
    "failures": "Невдалих запусків",
    "growth": "Зростання: записи за місяцем першого збору",
    "top_providers": "Основні постачальники",
    "missing": "Чого бракує",
    "no_source": "У реєстрі немає жодного джерела країни «{country}»: у каталозі від неї нічого немає.",
    "no_records": "У каталозі ще немає жодного ресурсу країни «{country}».",
    "no_open": "Жоден ресурс країни «{country}» не має відкритої ліцензії.",
    "no_national": "Жодного ресурсу країни «{country}» її мовами ({languages}).",
    "low_open": "Лише {share} ресурсів країни «{country}» мають відкриту ліцензію.",
    "failing": "Джерел зі збоєм під час останнього збору: {n} ({ids}).",
    "never": "Джерел, жодного разу не зібраних: {n} ({ids}).",
    "no_level": "Жоден ресурс країни «{country}» не зазначає рівня освіти (МСКО).",
    "nothing_missing": "Явних прогалин немає.",
    "none": "немає",
    "never_short": "ніколи",
    "themes_text": "Записи за темами (config/themes.toml) і країнами: скільки чинних записів країни крок themes відніс до теми та їхня частка серед усіх чинних записів країни. Запис може належати до кількох тем або до жодної.",
    "methods_harvest": "Каталог зібрано з {first} по {last} за {runs} запусків. Кожне джерело "
                       "читається своїм протоколом (OAI-PMH, мапи сайту зі schema.org, стрічки, "
                       "JSON API, HTML-сторінки) за адресою з реєстру нижче.",
    "methods_normalise": "Значення нормалізовано один раз, під час збору: мови — за ISO 639-1, "
                         "ліцензії — ідентифікатори SPDX (відкритою вважається будь-яка "
                         "зазначена ліцензія; без ліцензії — не відкритий), типи ресурсів — за "
                         "контрольованим списком, рівні освіти — за МСКО 2011, країни — за ISO "
                         "3166-1. Записи одного ресурсу з кількох джерел (той самий DOI, handle, "
                         "посилання або назва й автор) лічаться як один унікальний ресурс. "
                         "Джерело справне, якщо його останній завершений запуск успішний, зі "
                         "збоєм — якщо ні, не зібране — якщо запусків не було.",
    "methods_limits": "Обмеження: у каталозі лише те, що відкривають джерела; ресурс без "
                      "зазначеної ліцензії може бути відкритим; мови — як їх зазначило "
                      "джерело; зростання показує, коли oerhub уперше побачив запис, а не коли "
                      "його опубліковано; ресурс із двох країн лічиться в кожній із них і один "
                      "раз у підсумку за регіоном.",
    "registry": "Реєстр",
    "figures_note": "Дані кожного графіка й таблиці — у figures/*.csv поруч із цією сторінкою.",
    "page": "С.",
    "status_ok": "справне", "status_failing": "збій", "status_never": "не зібране",
}

MESSAGES = {"en": EN, "ru": RU, "uk": UK}


@cache
def _translation(domain: str, lang: str) -> gettext.NullTranslations:
    return gettext.translation(domain, pycountry.LOCALES_DIR, languages=[lang], fallback=True)


def country_name(code: str, lang: str) -> str:
    """The country's name in `lang` (ISO 3166-1 as pycountry's translators write it)."""
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    if lang == "en":
        return getattr(country, "common_name", None) or country.name
    return _translation("iso3166-1", lang).gettext(country.name)


def language_name(code: str, lang: str) -> str:
    """The language's name in `lang` (ISO 639-3 names), capitalised; the code if unknown."""
    language = pycountry.languages.get(alpha_2=code) if len(code) == 2 else None
    if language is None:
        return code
    if lang == "en" and code in ENGLISH_LANGUAGE_NAMES:
        return ENGLISH_LANGUAGE_NAMES[code]
    name = language.name if lang == "en" else _translation("iso639-3", lang).gettext(
        language.name)
    return name[:1].upper() + name[1:]


# The resource types of data/vocab/resource_types.toml: (English, Russian, Ukrainian).
RESOURCE_TYPES: dict[str, tuple[str, str, str]] = {
    "textbook": ("textbook", "учебник, пособие", "підручник, посібник"),
    "course": ("course", "курс", "курс"),
    "lecture": ("lecture", "лекция", "лекція"),
    "guide": ("methodological guide", "методические указания", "методичні вказівки"),
    "exercise": ("exercises", "практикум", "практикум"),
    "assessment": ("assessment", "тесты и контроль", "тести й контроль"),
    "lesson": ("lesson", "урок", "урок"),
    "presentation": ("presentation", "презентация", "презентація"),
    "video": ("video", "видео", "відео"),
    "audio": ("audio", "аудио", "аудіо"),
    "image": ("image", "изображение", "зображення"),
    "interactive": ("interactive", "интерактивный ресурс", "інтерактивний ресурс"),
    "software": ("software", "программа", "програма"),
    "dataset": ("dataset", "набор данных", "набір даних"),
    "thesis": ("thesis", "диссертация, ВКР", "дисертація, кваліфікаційна робота"),
    "article": ("article", "статья", "стаття"),
    "conference_paper": ("conference paper", "доклад", "доповідь"),
    "book_part": ("book chapter", "глава книги", "розділ книги"),
    "book": ("book", "книга", "книга"),
    "report": ("report", "отчёт", "звіт"),
    "preprint": ("preprint", "препринт", "препринт"),
    "review": ("review", "рецензия, обзор", "рецензія, огляд"),
    "periodical": ("periodical", "периодическое издание", "періодичне видання"),
    "learning_object": ("learning object", "учебный материал", "навчальний матеріал"),
    "collection": ("collection", "коллекция", "колекція"),
}
LEVEL_WORD = {"en": "ISCED", "ru": "МСКО", "uk": "МСКО"}
NOT_STATED = {"en": "not stated", "ru": "не указано", "uk": "не зазначено"}
ENGLISH_LANGUAGE_NAMES = {"ky": "Kyrgyz", "ro": "Romanian (Moldovan)"}


def resource_type_name(term: str, lang: str) -> str:
    names = RESOURCE_TYPES.get(term)
    return names[LANGUAGES.index(lang)] if names else term


def level_name(value: str, lang: str) -> str:
    return value.replace("ISCED", LEVEL_WORD[lang], 1)

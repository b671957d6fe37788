"""envol's pre-filled answers to the eight questions, per network: a starting point the team
argues and overrides, never a verdict. Pure data.

Each default says its score (or None: "to assess" — where it depends on the organisation, as
question 1 always does, or where envol could not find a source it trusts), a short argument in
English and French, the public sources it stands on, and the date of the fact it states
(the source's own date). An answer older than a year is shown "to review" (relative to the
clock the caller passes: tests never read the real date). Wherever a score is a judgement, the
comment says so; the team's own assessment replaces it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Default:
    score: int | None
    en: str
    fr: str
    sources: tuple[str, ...]
    dated: date

    def comment(self, lang: str) -> str:
        return self.fr if lang.startswith("fr") else self.en


def is_stale(dated: date | None, today: date) -> bool:
    """Older than a year (366 days, so that a leap year never flips the answer)."""
    return dated is None or (today - dated).days > 366


AUDIENCE = Default(
    None,
    "Depends on the audience you target: assess it with your own figures (followers, reach).",
    "Dépend du public que vous visez : évaluez-le avec vos propres chiffres (abonnés, portée).",
    (),
    date(2025, 6, 1),
)

# Sources used more than once.
ATPROTO_MIGRATION = "https://atproto.com/guides/account-migration"
BSKY_FEEDS = "https://docs.bsky.app/docs/starter-templates/custom-feeds"
BSKY_MODERATION = "https://bsky.social/about/blog/03-12-2024-stackable-moderation"
MASTODON_MOVING = "https://docs.joinmastodon.org/user/moving/"
MASTODON_ABOUT = "https://joinmastodon.org/about"
X_ARCHIVE = "https://help.x.com/en/managing-your-account/how-to-download-your-x-archive"
X_ALGORITHM = "https://github.com/twitter/the-algorithm"
X_ACQUISITION = "https://en.wikipedia.org/wiki/Acquisition_of_Twitter_by_Elon_Musk"
X_DSA = (
    "https://digital-strategy.ec.europa.eu/en/news/"
    "commission-opens-formal-proceedings-against-x-under-digital-services-act"
)
META_FACT_CHECKING = (
    "https://www.politico.eu/article/mark-zuckerberg-full-elon-musk-dump-facebook-fact-checker/"
)
META_RANKING = "https://transparency.meta.com/features/explaining-ranking/"
META_COMPANY = "https://en.wikipedia.org/wiki/Meta_Platforms"
FACEBOOK_DOWNLOAD = "https://www.facebook.com/help/212802592074644"
INSTAGRAM_RANKING = "https://about.instagram.com/blog/announcements/instagram-ranking-explained"
LINKEDIN_MICROSOFT = (
    "https://news.microsoft.com/2016/12/08/microsoft-completes-acquisition-of-linkedin/"
)
YOUTUBE_RECOMMENDATIONS = "https://www.youtube.com/howyoutubeworks/recommendations/"
TAKEOUT = "https://takeout.google.com/"
TIKTOK_FOR_YOU = "https://newsroom.tiktok.com/en-us/how-tiktok-recommends-videos-for-you"
EMAIL_STANDARD = "https://www.rfc-editor.org/rfc/rfc5322"
CNIL_EMAILING = "https://www.cnil.fr/fr/la-prospection-commerciale-par-courrier-electronique"
WEB_STANDARDS = "https://www.w3.org/standards/"

NO_MOVE_EN = "No way to move followers elsewhere; the data export lists accounts, not contacts."
NO_MOVE_FR = (
    "Aucun moyen d'emmener ses abonnés ailleurs ; l'export de données liste des comptes, "
    "pas des contacts."
)


def _meta(network: str, ranking: str) -> dict[int, Default]:
    """Facebook and Instagram: one owner, the same policies; ranking sources differ."""
    return {
        1: AUDIENCE,
        2: Default(
            3,
            f"{network}: hide or delete comments, keyword filters, blocking. Check the tools of "
            "the current Meta Business Suite.",
            f"{network} : masquer ou supprimer des commentaires, filtres de mots, blocage. "
            "Vérifier les outils actuels de Meta Business Suite.",
            (META_RANKING,),
            date(2024, 6, 1),
        ),
        3: Default(
            1,
            "Meta ended its third-party fact-checking in the United States in January 2025 and "
            "loosened its content rules. A judgement: argue it in your team.",
            "Meta a mis fin au fact-checking par des tiers aux États-Unis en janvier 2025 et "
            "assoupli ses règles. Un jugement : à débattre en équipe.",
            (META_FACT_CHECKING,),
            date(2025, 1, 7),
        ),
        4: Default(
            1,
            "The feed is ranked by Meta; pages reach a small share of their followers without "
            "paid promotion. Compare with your own reach figures.",
            "Le fil est classé par Meta ; une page touche une faible part de ses abonnés sans "
            "promotion payante. Comparer avec vos chiffres de portée.",
            (ranking,),
            date(2023, 6, 29),
        ),
        5: Default(0, NO_MOVE_EN, NO_MOVE_FR, (FACEBOOK_DOWNLOAD,), date(2024, 1, 1)),
        6: Default(
            1,
            "'Download your information' exports your own posts; the audience stays with Meta.",
            "« Télécharger vos informations » exporte vos publications ; le public reste "
            "chez Meta.",
            (FACEBOOK_DOWNLOAD,),
            date(2024, 1, 1),
        ),
        7: Default(
            1,
            "Algorithmic feed by default; a chronological view exists but is not the default.",
            "Fil algorithmique par défaut ; une vue chronologique existe mais n'est pas celle "
            "par défaut.",
            (ranking,),
            date(2023, 6, 29),
        ),
        8: Default(
            0,
            "Meta owns Facebook, Instagram, WhatsApp and Threads; its founder controls the "
            "majority of votes.",
            "Meta possède Facebook, Instagram, WhatsApp et Threads ; son fondateur détient la "
            "majorité des droits de vote.",
            (META_COMPANY,),
            date(2024, 12, 31),
        ),
    }


DEFAULTS: dict[str, dict[int, Default]] = {
    "bluesky": {
        1: AUDIENCE,
        2: Default(
            3,
            "Block, mute, moderation lists, reply controls, hidden replies, and labelling "
            "services anyone can subscribe to (stackable moderation).",
            "Blocage, masquage, listes de modération, contrôle des réponses, réponses masquées, "
            "et services d'étiquetage auxquels s'abonner (modération composable).",
            (BSKY_MODERATION,),
            date(2024, 3, 12),
        ),
        3: Default(
            2,
            "Run by Bluesky Social, a US public benefit corporation funded by investors, on an "
            "open protocol. A judgement: argue it in your team.",
            "Opéré par Bluesky Social, société américaine à mission financée par des "
            "investisseurs, sur un protocole ouvert. Un jugement : à débattre en équipe.",
            ("https://bsky.social/about/faq",),
            date(2024, 11, 1),
        ),
        4: Default(
            3,
            "The Following feed shows followers every post in time order; custom feeds and "
            "Discover bring people beyond them. Compare with your own figures.",
            "Le fil « Abonnements » montre chaque publication dans l'ordre chronologique ; les "
            "fils personnalisés et « Discover » touchent au-delà. Comparer avec vos chiffres.",
            (BSKY_FEEDS,),
            date(2024, 5, 1),
        ),
        5: Default(
            3,
            "An account can move to another AT Protocol server keeping its identity (DID) and "
            "followers; it cannot take them to another network.",
            "Un compte peut changer de serveur AT Protocol en gardant son identité (DID) et ses "
            "abonnés ; pas vers un autre réseau.",
            (ATPROTO_MIGRATION,),
            date(2025, 5, 1),
        ),
        6: Default(
            3,
            "The whole repository (posts, follows) can be exported, the handle can be your own "
            "domain, and you may host your own server.",
            "Le dépôt complet (publications, abonnements) s'exporte, l'identifiant peut être "
            "votre propre domaine, et vous pouvez héberger votre serveur.",
            (ATPROTO_MIGRATION,),
            date(2025, 5, 1),
        ),
        7: Default(
            3,
            "Each person chooses their feeds; Following is chronological; Discover is ranked.",
            "Chacun choisit ses fils ; « Abonnements » est chronologique ; « Discover » est "
            "classé par algorithme.",
            (BSKY_FEEDS,),
            date(2024, 5, 1),
        ),
        8: Default(
            2,
            "An open protocol, but most accounts, the main app view and relay are run by one "
            "company today.",
            "Un protocole ouvert, mais la plupart des comptes, la vue principale et le relais "
            "sont aujourd'hui opérés par une seule société.",
            (ATPROTO_MIGRATION, "https://bsky.social/about/faq"),
            date(2025, 5, 1),
        ),
    },
    "mastodon": {
        1: AUDIENCE,
        2: Default(
            3,
            "Block, mute, word filters, reports; each server's team moderates. Choose a server "
            "whose moderation you trust, or run your own.",
            "Blocage, masquage, filtres de mots, signalements ; l'équipe de chaque serveur "
            "modère. Choisir un serveur de confiance, ou le sien.",
            ("https://docs.joinmastodon.org/user/moderating/",),
            date(2024, 10, 1),
        ),
        3: Default(
            3,
            "Free software developed by a non-profit; the server you choose sets its own rules.",
            "Logiciel libre développé par une organisation à but non lucratif ; chaque serveur "
            "fixe ses règles.",
            (MASTODON_ABOUT,),
            date(2025, 1, 13),
        ),
        4: Default(
            3,
            "No ranking: followers see every post in time order. Reaching people beyond them "
            "relies on boosts, hashtags and trends.",
            "Aucun classement : les abonnés voient chaque publication dans l'ordre. Au-delà, "
            "on compte sur les partages, les mots-clés et les tendances.",
            ("https://docs.joinmastodon.org/user/network/",),
            date(2024, 10, 1),
        ),
        5: Default(
            4,
            "Account migration moves followers to a new account on any Mastodon server.",
            "La migration de compte déplace les abonnés vers un nouveau compte, sur n'importe "
            "quel serveur Mastodon.",
            (MASTODON_MOVING,),
            date(2024, 10, 1),
        ),
        6: Default(
            3,
            "Exports of posts, follows, lists and blocks; 4 on a server you run yourself.",
            "Export des publications, abonnements, listes et blocages ; 4 sur votre propre "
            "serveur.",
            (MASTODON_MOVING,),
            date(2024, 10, 1),
        ),
        7: Default(
            4,
            "Home timeline in time order, no recommendation algorithm.",
            "Fil d'accueil chronologique, sans algorithme de recommandation.",
            ("https://docs.joinmastodon.org/user/network/",),
            date(2024, 10, 1),
        ),
        8: Default(
            4,
            "Thousands of independent servers on an open standard (ActivityPub).",
            "Des milliers de serveurs indépendants sur un standard ouvert (ActivityPub).",
            (MASTODON_ABOUT, "https://www.w3.org/TR/activitypub/"),
            date(2025, 1, 13),
        ),
    },
    "x": {
        1: AUDIENCE,
        2: Default(
            2,
            "Reply settings, hidden replies, block and mute; the platform's own moderation was "
            "reduced. A judgement: argue it in your team.",
            "Réglage des réponses, réponses masquées, blocage ; la modération de la plateforme "
            "a été réduite. Un jugement : à débattre en équipe.",
            ("https://help.x.com/en/rules-and-policies/x-rules", X_DSA),
            date(2023, 12, 18),
        ),
        3: Default(
            1,
            "Owned by one person's companies since 2022; the European Commission opened formal "
            "proceedings under the Digital Services Act in December 2023.",
            "Propriété des sociétés d'une seule personne depuis 2022 ; la Commission européenne "
            "a ouvert une procédure formelle (DSA) en décembre 2023.",
            (X_ACQUISITION, X_DSA),
            date(2023, 12, 18),
        ),
        4: Default(
            1,
            "The default 'For you' feed is ranked by X's algorithm; reach depends on it and on "
            "paid subscriptions. Compare with your X export's impressions.",
            "Le fil « Pour vous » par défaut est classé par l'algorithme de X ; la portée en "
            "dépend, et des abonnements payants. Comparer avec les impressions de l'export X.",
            (X_ALGORITHM,),
            date(2023, 3, 31),
        ),
        5: Default(0, NO_MOVE_EN, NO_MOVE_FR, (X_ARCHIVE,), date(2024, 6, 1)),
        6: Default(
            1,
            "The archive exports your posts and the ids of followers and follows; nothing "
            "lets you reach them elsewhere.",
            "L'archive exporte vos publications et les identifiants des abonnés et abonnements ; "
            "rien ne permet de les joindre ailleurs.",
            (X_ARCHIVE,),
            date(2024, 6, 1),
        ),
        7: Default(
            1,
            "Algorithmic 'For you' by default; a 'Following' tab exists.",
            "« Pour vous » algorithmique par défaut ; un onglet « Abonnements » existe.",
            (X_ALGORITHM,),
            date(2023, 3, 31),
        ),
        8: Default(
            0,
            "Bought whole in 2022, held by one owner.",
            "Racheté en entier en 2022, détenu par un seul propriétaire.",
            (X_ACQUISITION,),
            date(2022, 10, 27),
        ),
    },
    "facebook": _meta("Facebook", META_RANKING),
    "instagram": _meta("Instagram", INSTAGRAM_RANKING),
    "linkedin": {
        1: AUDIENCE,
        2: Default(
            2,
            "Delete comments, limit who may comment on a post, block; no shared lists.",
            "Supprimer des commentaires, limiter qui peut commenter, bloquer ; pas de listes "
            "partagées.",
            ("https://www.linkedin.com/legal/professional-community-policies",),
            date(2024, 6, 1),
        ),
        3: Default(
            2,
            "Owned by Microsoft since 2016; a professional network with its own rules. A "
            "judgement: argue it in your team.",
            "Propriété de Microsoft depuis 2016 ; un réseau professionnel avec ses règles. Un "
            "jugement : à débattre en équipe.",
            (LINKEDIN_MICROSOFT,),
            date(2016, 12, 8),
        ),
        4: Default(
            None,
            "Ranked feed; to assess with your LinkedIn export (impressions per post).",
            "Fil classé ; à évaluer avec votre export LinkedIn (impressions par publication).",
            (),
            date(2024, 6, 1),
        ),
        5: Default(
            0,
            NO_MOVE_EN,
            NO_MOVE_FR,
            ("https://www.linkedin.com/legal/privacy-policy",),
            date(2024, 6, 1),
        ),
        6: Default(
            1,
            "A page's followers cannot be exported; members can download their own data.",
            "Les abonnés d'une page ne s'exportent pas ; un membre peut télécharger ses données.",
            ("https://www.linkedin.com/legal/privacy-policy",),
            date(2024, 6, 1),
        ),
        7: Default(
            1,
            "Ranked feed by default.",
            "Fil classé par défaut.",
            ("https://www.linkedin.com/legal/privacy-policy",),
            date(2024, 6, 1),
        ),
        8: Default(
            1,
            "One company (Microsoft), no open protocol.",
            "Une seule société (Microsoft), pas de protocole ouvert.",
            (LINKEDIN_MICROSOFT,),
            date(2016, 12, 8),
        ),
    },
    "youtube": {
        1: AUDIENCE,
        2: Default(
            3,
            "Comments can be held for review, filtered by words, handed to moderators, or "
            "turned off.",
            "Les commentaires peuvent être retenus pour examen, filtrés par mots, confiés à des "
            "modérateurs, ou désactivés.",
            ("https://support.google.com/youtube/",),
            date(2024, 6, 1),
        ),
        3: Default(
            2,
            "Owned by Google (Alphabet), funded by advertising. A judgement: argue it in your "
            "team.",
            "Propriété de Google (Alphabet), financé par la publicité. Un jugement : à débattre "
            "en équipe.",
            (YOUTUBE_RECOMMENDATIONS,),
            date(2024, 6, 1),
        ),
        4: Default(
            2,
            "Recommendations bring most views; search helps useful videos last. Compare with "
            "your YouTube Studio export.",
            "Les recommandations apportent l'essentiel des vues ; la recherche fait durer les "
            "vidéos utiles. Comparer avec votre export YouTube Studio.",
            (YOUTUBE_RECOMMENDATIONS,),
            date(2024, 6, 1),
        ),
        5: Default(0, NO_MOVE_EN, NO_MOVE_FR, (TAKEOUT,), date(2024, 6, 1)),
        6: Default(
            2,
            "Your videos and their data can be exported (Google Takeout); subscribers cannot.",
            "Vos vidéos et leurs données s'exportent (Google Takeout) ; pas les abonnés.",
            (TAKEOUT,),
            date(2024, 6, 1),
        ),
        7: Default(
            1,
            "Recommendation algorithm by default.",
            "Algorithme de recommandation par défaut.",
            (YOUTUBE_RECOMMENDATIONS,),
            date(2024, 6, 1),
        ),
        8: Default(
            1,
            "One company, no open protocol.",
            "Une seule société, pas de protocole ouvert.",
            (YOUTUBE_RECOMMENDATIONS,),
            date(2024, 6, 1),
        ),
    },
    "tiktok": {
        1: AUDIENCE,
        2: Default(
            3,
            "Comment filters (by keyword, or all comments held), blocking, limits on who may "
            "comment. To review against TikTok's current settings.",
            "Filtres de commentaires (par mot-clé, ou tous retenus), blocage, limite de qui peut "
            "commenter. À vérifier dans les réglages actuels de TikTok.",
            ("https://support.tiktok.com/",),
            date(2024, 6, 1),
        ),
        3: Default(
            1,
            "Owned by ByteDance; European data protection authorities have fined it over "
            "children's data and transfers. A judgement: argue it in your team.",
            "Propriété de ByteDance ; sanctionné par des autorités européennes de protection des "
            "données (données des mineurs, transferts). Un jugement : à débattre en équipe.",
            ("https://www.dataprotection.ie/en/news-media/latest-news",),
            date(2025, 5, 2),
        ),
        4: Default(
            2,
            "The For You feed shows videos to people who do not follow you, ranked by an "
            "algorithm you do not control. Compare with your TikTok Studio export.",
            "Le fil « Pour toi » montre les vidéos à des gens qui ne vous suivent pas, selon un "
            "algorithme que vous ne maîtrisez pas. Comparer avec votre export TikTok Studio.",
            (TIKTOK_FOR_YOU,),
            date(2020, 6, 18),
        ),
        5: Default(0, NO_MOVE_EN, NO_MOVE_FR, ("https://support.tiktok.com/",), date(2024, 6, 1)),
        6: Default(
            1,
            "You can download your own data; the audience stays with TikTok.",
            "Vous pouvez télécharger vos données ; le public reste chez TikTok.",
            ("https://support.tiktok.com/",),
            date(2024, 6, 1),
        ),
        7: Default(
            0,
            "The For You feed is algorithmic and the app opens on it.",
            "Le fil « Pour toi » est algorithmique et l'application s'ouvre dessus.",
            (TIKTOK_FOR_YOU,),
            date(2020, 6, 18),
        ),
        8: Default(
            0,
            "One company; its ownership is set by governments' decisions.",
            "Une seule société ; sa propriété dépend de décisions d'États.",
            ("https://en.wikipedia.org/wiki/ByteDance",),
            date(2025, 1, 1),
        ),
    },
    "threads": {
        1: AUDIENCE,
        2: Default(
            None,
            "To review: Threads' moderation tools change often.",
            "À vérifier : les outils de modération de Threads changent souvent.",
            (),
            date(2024, 6, 1),
        ),
        3: Default(
            1,
            "Meta's network: see Facebook and Instagram.",
            "Réseau de Meta : voir Facebook et Instagram.",
            (META_FACT_CHECKING,),
            date(2025, 1, 7),
        ),
        4: Default(
            None,
            "To assess with your own figures: envol does not read Threads' statistics.",
            "À évaluer avec vos propres chiffres : envol ne lit pas les statistiques de Threads.",
            (),
            date(2024, 6, 1),
        ),
        5: Default(
            None,
            "To review: Threads can share posts with the fediverse, but moving followers out "
            "is not offered as far as envol knows.",
            "À vérifier : Threads peut partager des publications avec le fédivers, mais "
            "emmener ses abonnés n'est pas proposé à la connaissance d'envol.",
            (),
            date(2024, 6, 1),
        ),
        6: Default(
            1,
            "Meta's data export; see Facebook and Instagram.",
            "Export de données de Meta ; voir Facebook et Instagram.",
            (FACEBOOK_DOWNLOAD,),
            date(2024, 1, 1),
        ),
        7: Default(
            1,
            "Ranked 'For you' feed by default; a 'Following' feed exists.",
            "Fil « Pour vous » classé par défaut ; un fil « Abonnements » existe.",
            (META_RANKING,),
            date(2023, 6, 29),
        ),
        8: Default(
            0,
            "Meta's network.",
            "Réseau de Meta.",
            (META_COMPANY,),
            date(2024, 12, 31),
        ),
    },
    "newsletter": {
        1: AUDIENCE,
        2: Default(
            4,
            "No public comments: replies reach your inbox only.",
            "Pas de commentaires publics : les réponses arrivent dans votre boîte seulement.",
            (EMAIL_STANDARD,),
            date(2008, 10, 1),
        ),
        3: Default(
            3,
            "Depends on the mailing service you choose (prefer one hosted in the EU).",
            "Dépend du service d'envoi choisi (préférer un service hébergé dans l'UE).",
            (CNIL_EMAILING,),
            date(2024, 1, 1),
        ),
        4: Default(
            3,
            "Every subscriber receives every issue; mailbox filters and tabs decide whether it "
            "is read. Compare with your open and click figures.",
            "Chaque abonné reçoit chaque numéro ; les filtres et onglets des messageries "
            "décident s'il est lu. Comparer avec vos taux d'ouverture et de clic.",
            (EMAIL_STANDARD,),
            date(2008, 10, 1),
        ),
        5: Default(
            4,
            "The subscriber list (with their consent) is yours and moves to any service.",
            "La liste des abonnés (avec leur consentement) vous appartient et passe à tout "
            "service.",
            (CNIL_EMAILING,),
            date(2024, 1, 1),
        ),
        6: Default(
            4,
            "You hold the list and the archive.",
            "Vous détenez la liste et les archives.",
            (CNIL_EMAILING,),
            date(2024, 1, 1),
        ),
        7: Default(
            4,
            "No ranking by a platform (mailbox spam filters aside).",
            "Aucun classement par une plateforme (hors filtres anti-spam des messageries).",
            (EMAIL_STANDARD,),
            date(2008, 10, 1),
        ),
        8: Default(
            4,
            "Email is an open standard run by countless providers.",
            "Le courriel est un standard ouvert, opéré par d'innombrables fournisseurs.",
            (EMAIL_STANDARD,),
            date(2008, 10, 1),
        ),
    },
    "website": {
        1: AUDIENCE,
        2: Default(
            4,
            "You decide whether there are comments and how they are moderated.",
            "Vous décidez s'il y a des commentaires et comment ils sont modérés.",
            (WEB_STANDARDS,),
            date(2024, 1, 1),
        ),
        3: Default(
            4,
            "Your own publication.",
            "Votre propre publication.",
            (WEB_STANDARDS,),
            date(2024, 1, 1),
        ),
        4: Default(
            2,
            "No feed: people come from search engines, links and the other networks. Compare "
            "with your short-link clicks and site statistics.",
            "Pas de fil : on y vient par les moteurs de recherche, les liens et les autres "
            "réseaux. Comparer avec vos clics de liens courts et les statistiques du site.",
            (WEB_STANDARDS,),
            date(2024, 1, 1),
        ),
        5: Default(
            4,
            "The address is yours; visitors follow it wherever you host the site.",
            "L'adresse vous appartient ; les visiteurs la suivent où que le site soit hébergé.",
            (WEB_STANDARDS,),
            date(2024, 1, 1),
        ),
        6: Default(
            4,
            "You hold all content and data.",
            "Vous détenez tout le contenu et les données.",
            (WEB_STANDARDS,),
            date(2024, 1, 1),
        ),
        7: Default(
            3,
            "You choose what is shown; search engines rank what people find.",
            "Vous choisissez ce qui est montré ; les moteurs de recherche classent ce qu'on "
            "trouve.",
            (WEB_STANDARDS,),
            date(2024, 1, 1),
        ),
        8: Default(
            4,
            "Open standards, any host.",
            "Standards ouverts, n'importe quel hébergeur.",
            (WEB_STANDARDS,),
            date(2024, 1, 1),
        ),
    },
}

"""Sentences used by the demo generator, per theme: what residents typically ask for."""

from __future__ import annotations

TEXTES: dict[str, list[str]] = {
    "securite": [
        "Plus de présence policière le soir autour des halls d'immeubles",
        "Lutter contre le trafic de stupéfiants au pied des tours",
        "Sécuriser le trajet des enfants vers l'école",
        "Installer un éclairage public qui fonctionne dans les allées",
        "Recréer une police de proximité qui connaît les habitants",
        "Agir contre les rodéos urbains qui mettent en danger les piétons",
        "Prévention de la délinquance avec des éducateurs de rue",
    ],
    "education": [
        "Renforcer le soutien scolaire gratuit après la classe",
        "Des classes moins chargées au collège du quartier",
        "Ouvrir l'école aux parents pour mieux suivre la scolarité",
        "Lutter contre le décrochage scolaire des adolescents",
        "Des stages de troisième accessibles pour tous les élèves",
        "Plus d'accompagnement à l'orientation vers les études supérieures",
    ],
    "logement": [
        "Rénover les logements vétustes et mal isolés",
        "Réparer les ascenseurs en panne depuis des mois",
        "Lutter contre l'humidité et les moisissures dans les appartements",
        "Faciliter les mutations vers des logements plus grands",
        "Un bailleur plus réactif pour les réparations",
        "Baisser les charges de chauffage collectif",
    ],
    "sante": [
        "Faire venir des médecins généralistes dans le quartier",
        "Ouvrir une maison de santé avec des permanences le samedi",
        "Plus de prévention en santé mentale pour les jeunes",
    ],
    "jeunesse": [
        "Un lieu pour les jeunes ouvert le soir et le week-end",
        "Des animateurs jeunesse présents pendant les vacances",
        "Accompagner les jeunes vers le permis de conduire",
    ],
    "sport": [
        "Rénover le city stade et ouvrir le gymnase plus tard",
        "Des activités sportives gratuites pour les filles",
    ],
    "culture": [
        "Une médiathèque ouverte le dimanche",
        "Des sorties culturelles pour les familles",
    ],
    "parentalite": [
        "Un lieu d'accueil parents-enfants dans le quartier",
        "Accompagner les parents face aux écrans",
    ],
    "acces_droits": [
        "Une maison France services proche avec des permanences",
        "Aider les habitants dans les démarches en ligne",
        "Garder un accueil physique à la CAF et à la mairie annexe",
    ],
    "renouvellement_urbain": [
        "Associer les habitants au projet de rénovation urbaine",
        "Reloger dignement les familles concernées par les démolitions",
    ],
    "espaces_publics": [
        "Créer des espaces verts et des bancs pour les seniors",
        "Des aires de jeux rénovées pour les enfants",
    ],
    "proprete": [
        "Ramassage plus fréquent des encombrants",
        "Lutter contre les dépôts sauvages de déchets",
    ],
    "mobilite": [
        "Plus de bus le soir et le dimanche vers le centre-ville",
        "Des pistes cyclables sécurisées vers la gare",
    ],
    "environnement": [
        "Végétaliser les cours d'école et les parkings",
        "Lutter contre les îlots de chaleur l'été",
    ],
    "emploi": [
        "Des forums de l'emploi dans le quartier avec les entreprises locales",
        "Lutter contre le chômage des jeunes diplômés",
    ],
    "insertion": [
        "Des chantiers d'insertion pour les habitants éloignés de l'emploi",
        "Accompagnement renforcé vers l'emploi pour les femmes",
    ],
    "formation": [
        "Des formations qualifiantes près de chez soi",
        "Cours de français pour adultes le soir",
    ],
    "commerces": [
        "Faire revenir des commerces de proximité dans la galerie marchande",
        "Un marché hebdomadaire sur la place",
    ],
    "discriminations": [
        "Lutter contre les discriminations à l'embauche liées à l'adresse",
        "Former les agents d'accueil contre les discriminations",
    ],
    "participation": [
        "Associer les habitants aux décisions qui concernent le quartier",
        "Faire vivre le conseil citoyen avec des moyens réels",
    ],
}

LIEUX: list[tuple[str, str]] = [
    ("Centre social", "centre_social"),
    ("Maison de quartier", "equipement_municipal"),
    ("Salle polyvalente", "equipement_municipal"),
    ("Local associatif", "association"),
    ("Collège", "etablissement_scolaire"),
    ("Pied d'immeuble", "espace_public"),
    ("Local du bailleur", "bailleur"),
    ("Médiathèque", "equipement_municipal"),
]

NOMS_FICTIFS: list[str] = [
    "Les Tilleuls", "Les Peupliers", "La Source", "Le Plateau", "Les Cèdres", "Bellevue",
    "Les Fleurs", "Le Moulin", "Les Hauts", "La Prairie", "Les Coteaux", "Le Parc",
]  # fmt: skip

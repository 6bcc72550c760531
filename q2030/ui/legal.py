"""The three pages every State website links from its footer: Accessibilité (the accessibility
statement), Mentions légales, Données personnelles. Open to everyone, without sign-in."""

from __future__ import annotations

import streamlit as st

from q2030 import settings

DECLARATION_DATE = "03/12/2026"
AXE_VERSION = "4.14.1"


def _contact_sentence() -> str:
    address = settings.contact()
    if address:
        return f"écrivez à **{address}**"
    return "écrivez à l'administrateur national de Quartiers 2030, à l'Agence nationale de la cohésion des territoires"


def render_accessibilite() -> None:
    st.title("Déclaration d'accessibilité")
    st.write(
        "L'Agence nationale de la cohésion des territoires (ANCT) s'engage à rendre ses services numériques "
        "accessibles, conformément à l'article 47 de la loi n° 2005-102 du 11 février 2005. Cette déclaration "
        f"s'applique au service **Quartiers 2030** (suivi de la concertation). Établie le {DECLARATION_DATE}."
    )
    st.header("État de conformité")
    st.write(
        "Quartiers 2030 est **partiellement conforme** avec le référentiel général d'amélioration de "
        "l'accessibilité (RGAA 4.1.2). Aucun audit complet n'a encore été réalisé : la conformité est mesurée "
        f"par des contrôles automatiques. À chaque version, axe-core {AXE_VERSION} examine toutes les pages, pour "
        "chaque rôle et pour le visiteur sans connexion, sur un écran de 1 440 pixels et sur un téléphone "
        "(390 pixels) : il ne relève aucune erreur grave ou critique. Les mêmes tests vérifient qu'aucun texte "
        "visible ni aucun nom lu par un lecteur d'écran n'est en anglais. Ces contrôles automatiques ne couvrent "
        "qu'une partie des critères du RGAA."
    )
    st.header("Contenus non accessibles")
    st.markdown(
        "Non-conformités connues :\n"
        "- les **graphiques et les cartes** sont des images que les lecteurs d'écran ne lisent pas : chacun a, à "
        "côté, un tableau des mêmes données, téléchargeable en CSV ;\n"
        "- les **tableaux de données** des pages agents sont dessinés par le composant de Streamlit, dont la "
        "navigation au clavier cellule par cellule est imparfaite ; chaque tableau se télécharge en CSV ;\n"
        "- le **calendrier** des champs de date s'utilise mal au clavier : la date peut toujours être saisie au "
        "clavier (jour, mois, année), puis validée par Entrée ;\n"
        "- certains composants de Streamlit (menus déroulants, bouton de dépôt de fichier) ont un comportement "
        "au clavier et des annonces que l'application ne maîtrise pas entièrement ;\n"
        "- l'ordre de lecture place la barre latérale (navigation) avant le contenu ; un lien d'évitement "
        "« Aller au contenu principal » permet de la passer."
    )
    st.header("Établissement de cette déclaration")
    st.write(
        "Technologies utilisées : HTML, CSS, JavaScript (Streamlit), Vega-Lite pour les graphiques. Tests : "
        f"Chromium et axe-core {AXE_VERSION} pilotés par Playwright, arbre d'accessibilité lu par les tests."
    )
    st.header("Retour d'information et contact")
    st.write(
        "Si vous n'arrivez pas à accéder à un contenu ou à un service, " + _contact_sentence() + " : nous vous "
        "orienterons vers une alternative accessible ou vous transmettrons le contenu sous une autre forme."
    )
    st.header("Voies de recours")
    st.markdown(
        "Si vous nous avez signalé un défaut d'accessibilité et n'avez pas obtenu de réponse satisfaisante, vous "
        "pouvez saisir le Défenseur des droits :\n"
        "- par le formulaire en ligne : https://formulaire.defenseurdesdroits.fr/ ;\n"
        "- auprès d'un délégué du Défenseur des droits dans votre région ;\n"
        "- par courrier gratuit, sans affranchissement : Défenseur des droits, Libre réponse 71120, "
        "75342 Paris CEDEX 07."
    )


def render_mentions_legales() -> None:
    st.title("Mentions légales")
    st.header("Éditeur")
    st.write(
        "Agence nationale de la cohésion des territoires (ANCT), 20 avenue de Ségur, 75007 Paris, avec les "
        "préfectures qui saisissent les rencontres de leur département. Directeur de la publication : le "
        "directeur général de l'ANCT."
    )
    st.header("Hébergement")
    st.write(
        "Le service est hébergé par l'opérateur qui le déploie pour l'ANCT ; ses coordonnées sont disponibles "
        "sur demande à l'adresse de contact ci-dessous."
    )
    st.header("Réutilisation des contenus")
    st.write(
        "Les données publiées (rencontres, couverture des quartiers, priorités agrégées, engagements) sont "
        "réutilisables sous la Licence Ouverte / Open Licence 2.0 (Etalab). Les contours des départements et "
        "les positions des communes des cartes sont dérivés de données ouvertes de l'IGN (Admin Express) et de "
        "l'ANCT, sous la même licence. La police Marianne et le système de design de l'État (DSFR) sont "
        "réservés aux services de l'État."
    )
    st.header("Contact")
    st.write("Pour toute question sur ce service, " + _contact_sentence() + ".")


def render_donnees_personnelles() -> None:
    st.title("Données personnelles")
    st.write(
        "Quartiers 2030 suit une concertation publique. Il n'enregistre **aucune donnée personnelle des "
        "habitants** : pour chaque rencontre, des effectifs (participants, femmes, jeunes…), jamais un nom ni "
        "un contact. Un fichier du questionnaire en ligne contenant une adresse électronique est refusé."
    )
    st.header("Ce qui est enregistré, et pourquoi")
    st.markdown(
        "- **Comptes des agents** (préfectures, ANCT, commission) : adresse électronique professionnelle, nom, "
        "rôle et territoire — pour donner à chacun l'accès à son périmètre ;\n"
        "- **journal des modifications** : qui a modifié quoi et quand, avec les valeurs avant et après — pour "
        "la traçabilité des chiffres publiés ;\n"
        "- **relances par courriel** : l'adresse du destinataire, les éléments envoyés et la date — pour ne pas "
        "envoyer deux fois la même relance ;\n"
        "- **connexion** : un cookie de session, nécessaire au fonctionnement, sans mesure d'audience ni "
        "traceur publicitaire. La page publique « Restitution publique » ne dépose aucun cookie de suivi."
    )
    st.write(
        "Base légale : l'exécution d'une mission d'intérêt public (article 6.1.e du règlement général sur la "
        "protection des données), la consultation des habitants des quartiers prioritaires prévue par les "
        "contrats de ville."
    )
    st.header("Durée de conservation")
    st.write(
        "Les comptes sont conservés tant que l'agent a besoin d'accéder au service ; l'administrateur les "
        "désactive à son départ. Le journal des modifications et l'historique des relances sont conservés "
        "pendant la campagne de concertation et la durée des contrats de ville qu'elle prépare (2024-2030), "
        "puis supprimés."
    )
    st.header("Qui peut les lire")
    st.write(
        "Les administrateurs nationaux de Quartiers 2030 (ANCT). Aucune donnée n'est cédée ni transmise à un tiers."
    )
    st.header("Vos droits")
    st.write(
        "Vous pouvez accéder à vos données, les faire rectifier ou en demander l'effacement : "
        + _contact_sentence()
        + ", ou au délégué à la protection des données de l'ANCT. Si vous estimez que vos droits ne sont pas "
        "respectés, vous pouvez adresser une réclamation à la CNIL (www.cnil.fr)."
    )

"""French stop words, in folded form (q2030.textnorm.normalize: lower case, no accents).

Used by the "mots fréquents" of the priorities: articles, pronouns, prepositions,
auxiliaries and fillers say nothing about what residents ask for.
"""

from __future__ import annotations

_LISTE = """
    a ai aie aient aies ait alors as au aucun aucune aupres auquel aura aurai auraient aurais
    aurait auras aurez auriez aurions aurons auront aussi autre autres aux auxquelles auxquels
    avaient avais avait avant avec avez aviez avions avoir avons ayant ayez ayons bah bien
    c ca car ce ceci cela celle celles celui cependant certain certaine certaines certains ces
    cet cette ceux chacun chacune chaque chez ci comme comment d dans de depuis des desquelles
    desquels deja donc dont du duquel durant elle elles en encore entre es est et etaient etais
    etait etant etc ete etes etiez etions etre eu eue eues eurent eus eut eux fait faire fais
    faut fois font fut furent hors ici il ils j je jusqu jusque l la laquelle le lequel les
    lesquelles lesquels leur leurs lui m ma mais me meme memes mes moi moins mon n ne ni non
    nos notre nous on ont or ou par parce pas peu peut plus plutot pour pourquoi qu quand que
    quel quelle quelles quels qui quoi s sa sans se sera serai seraient serais serait seras
    serez seriez serions serons seront ses si sien sienne siennes siens soi soient sois soit
    sommes son sont sous suis sur t ta te tes toi ton tous tout toute toutes tres trop tu un
    une unes uns vers via voici voila vont vos votre vous y
    """
STOP_WORDS: frozenset[str] = frozenset(_LISTE.split())

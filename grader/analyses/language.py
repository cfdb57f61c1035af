"""French and English: which one a text is in, and an English gloss of French text.

The course is taught in both languages, and rubrics are mostly written once, in English: a
checklist's hint 'novel', a review section named 'strengths', a choice alias 'reverse'. A French
answer ("le papier ne présente pas de nouveauté technique", "Forces :", "la KL inverse") is read
against those hints through a gloss: the text with the French words and phrases a theory course
uses replaced by their English equivalents, word order kept. The gloss is only ever matched,
never shown, and a hint written in French (a rubric may give hints per language) matches the
original text directly.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_FRENCH = frozenset("""le la les des du un une et est sont dans pour que qui pas sur avec par nous vous
ce cette ces mais ou donc car leur leurs sont été être avons avez ont fait plus aussi comme on il elle
ils elles je se sa son ses au aux en""".split())
_ENGLISH = frozenset("""the of and is are in for that which not on with by we you this these but or so
their been be have has it its as also more they he she was were an to from at""".split())


def language(text: str) -> str:
    """'fr' or 'en', by the share of each language's most common words."""
    words = re.findall(r"[a-zàâçéèêëîïôûùüÿœ']+", text[:20000].lower())
    fr = sum(w in _FRENCH for w in words)
    en = sum(w in _ENGLISH for w in words)
    return "fr" if fr > en and fr >= 3 else "en"


# Phrases first (longest first), then words. Keys are lower case without accents; apostrophes
# ("l'article") are split off before lookup.
_PHRASES = {
    "etat de l art": "state of the art", "a la pointe": "state of the art", "jeux de donnees": "datasets",
    "jeu de donnees": "dataset", "ensemble de donnees": "dataset", "ensembles de donnees": "datasets",
    "bases de reference": "baselines", "base de reference": "baseline", "modeles de reference": "baselines",
    "choix de conception": "design choices", "choix architecturaux": "architectural choices",
    "travaux futurs": "future work", "travaux anterieurs": "previous work", "travail anterieur": "prior work",
    "travaux precedents": "previous work", "methodes existantes": "existing methods",
    "directions de recherche": "research directions", "pistes de recherche": "research directions",
    "prochaines etapes": "next steps", "il serait interessant": "it would be interesting",
    "j aimerais essayer": "i would like to try", "j aimerais": "i would like to", "je voudrais": "i would like to",
    "en cours": "in class", "vu en classe": "seen in class", "vu en cours": "seen in class",
    "a grande echelle": "large scale", "grande taille de lot": "large batch size", "grands lots": "large batches",
    "taille de lot": "batch size", "taille des lots": "batch size", "cout de calcul": "compute cost",
    "couts de calcul": "compute cost", "ressources de calcul": "compute resources", "puissance de calcul": "compute resources",
    "facile a implementer": "easy to implement", "code source": "source code", "code ouvert": "open source",
    "source ouverte": "open source", "apprentissage contrastif": "contrastive learning",
    "apprentissage auto supervise": "self-supervised learning", "auto supervise": "self-supervised",
    "autosupervise": "self-supervised", "augmentations de donnees": "data augmentations",
    "augmentation de donnees": "data augmentation", "tete de projection": "projection head",
    "maximum de vraisemblance": "maximum likelihood", "log vraisemblance": "log likelihood",
    "borne inferieure": "lower bound", "borne superieure": "upper bound", "inegalite de jensen": "jensen inequality",
    "changement de variables": "change of variables", "changement de variable": "change of variables",
    "sans biais": "unbiased", "non biaise": "unbiased", "non biaisee": "unbiased", "par consequent": "hence",
    "on obtient": "we get", "nous obtenons": "we get", "ce qui montre": "which shows", "ce qui prouve": "which proves",
    "point fort": "strength", "points forts": "strengths", "point faible": "weakness", "points faibles": "weaknesses",
    "pas de": "no", "ne pas": "not", "n est pas": "is not", "ne sont pas": "are not", "autres types de donnees":
    "other types of data", "autres donnees": "other data", "autres domaines": "other domains",
    "autres modalites": "other modalities", "reseaux antagonistes generatifs": "generative adversarial networks",
    "auto encodeur variationnel": "variational autoencoder", "auto encodeurs variationnels": "variational autoencoders",
    "flux normalisants": "normalizing flows", "champ recepteur": "receptive field", "divergence kl": "kl divergence",
    "kl inverse": "reverse kl", "kl directe": "forward kl", "kl avant": "forward kl", "kl arriere": "reverse kl",
}
_WORDS = {
    # the review
    "resume": "summary", "sommaire": "summary", "forces": "strengths", "force": "strength",
    "faiblesses": "weaknesses", "faiblesse": "weakness", "reflexions": "reflections", "reflexion": "reflection",
    "reflets": "reflections", "limites": "limitations", "limite": "limitation", "inconvenients": "drawbacks",
    "avantages": "advantages", "avantage": "advantage", "article": "paper", "papier": "paper", "auteurs": "authors",
    "nouveaute": "novelty", "nouveautes": "novelty", "nouveau": "novel", "nouvelle": "novel", "nouvelles": "novel",
    "nouveaux": "novel", "novateur": "novel", "novatrice": "novel", "original": "novel", "originalite": "novelty",
    "incrementale": "incremental", "incremental": "incremental", "theorique": "theoretical", "theoriques": "theoretical",
    "empirique": "empirical", "empiriques": "empirical", "experiences": "experiments", "experience": "experiment",
    "experimental": "experimental", "experimentale": "experimental", "experimentaux": "experimental",
    "experimentales": "experimental", "rigoureux": "rigorous", "rigoureuse": "rigorous", "rigoureuses": "rigorous",
    "approfondi": "thorough", "approfondie": "thorough", "approfondies": "thorough", "exhaustif": "extensive",
    "exhaustive": "extensive", "exhaustives": "extensive", "nombreuses": "extensive", "ablation": "ablation",
    "ablations": "ablations", "communaute": "community", "influent": "influential", "influente": "influential",
    "utile": "useful", "utiles": "useful", "impact": "impact", "importante": "important", "important": "important",
    "importants": "important", "importance": "importance", "significatif": "significant", "significative": "significant",
    "significatifs": "significant", "significatives": "significant", "crucial": "crucial", "cruciale": "crucial",
    "simplicite": "simplicity", "simple": "simple", "pratique": "practical", "pratiques": "practical",
    "reproductible": "reproducible", "reproductibilite": "reproducibility", "formulation": "formulation",
    "ameliore": "improved", "amelioree": "improved", "ameliorer": "improve", "amelioration": "improvement",
    "ameliorations": "improvements", "pourrait": "could", "pourraient": "could", "manque": "lacks", "manquent": "lack",
    "devrait": "should", "auraient": "should have", "conception": "design", "clarte": "clarity", "redaction": "writing",
    "ecriture": "writing", "hyperparametres": "hyperparameters", "hyperparametre": "hyperparameter",
    "explique": "explained", "expliquer": "explain", "expliques": "explained", "expliquee": "explained",
    "justifie": "justified", "generalisation": "generalization", "generaliser": "generalize", "cout": "cost",
    "couts": "cost", "couteux": "expensive", "couteuse": "expensive", "memoire": "memory", "ressources": "resources",
    "calcul": "compute", "cours": "course", "classe": "class", "futur": "future", "future": "future", "futurs": "future",
    "futures": "future", "curieux": "curious", "curieuse": "curious", "idees": "ideas", "idee": "idea",
    "inspire": "inspired", "inspiree": "inspired", "essayer": "try", "interessant": "interesting",
    "interessante": "interesting", "etendre": "extend", "extension": "extension", "multimodal": "multimodal",
    "audio": "audio", "domaines": "domains", "modalites": "modalities", "architecture": "architecture",
    "architectures": "architectures", "references": "references", "resultats": "results", "resultat": "result",
    "performances": "performance", "performance": "performance", "surpasse": "outperforms", "surpassent": "outperform",
    "depasse": "outperforms", "repere": "benchmark", "reperes": "benchmarks", "contribution": "contribution",
    "contributions": "contributions", "methode": "method", "methodes": "methods", "approche": "approach",
    "cadre": "framework", "representations": "representations", "representation": "representation",
    "contrastive": "contrastive", "contrastif": "contrastive", "lots": "batches", "lot": "batch",
    "donnees": "data", "perte": "loss", "pertes": "losses", "bien": "well", "clairement": "clearly",
    "ecrit": "written", "redige": "written", "efficacement": "efficiently", "efficace": "efficient",
    "innovant": "innovative", "innovants": "innovative", "innovante": "innovative", "pertinent": "relevant",
    "pertinents": "relevant", "majeure": "major", "majeur": "major", "principale": "main", "principal": "main",
    "cle": "key", "cles": "key", "evaluation": "evaluation", "analyse": "analysis", "algorithme": "algorithm",
    "entrainement": "training", "supervise": "supervised", "supervisee": "supervised", "reseau": "network",
    "reseaux": "networks", "neuronal": "neural", "neuronaux": "neural", "modele": "model", "modeles": "models",
    "probleme": "problem", "problemes": "problems", "lien": "link", "liens": "links", "relie": "related",
    "semblable": "similar", "similaire": "similar", "differentes": "different", "different": "different",
    # derivations
    "donc": "therefore", "ainsi": "thus", "alors": "then", "d'ou": "hence", "dou": "hence", "finalement": "finally",
    "esperance": "expectation", "esperances": "expectations", "echantillon": "sample", "echantillons": "samples",
    "echantillonner": "sample", "evaluer": "evaluate", "evaluee": "evaluated", "densite": "density",
    "densites": "densities", "vraisemblance": "likelihood", "inverse": "reverse", "directe": "forward",
    "concave": "concave", "concavite": "concavity", "convexe": "convex", "inegalite": "inequality",
    "jacobien": "jacobian", "jacobienne": "jacobian", "determinant": "determinant", "determinants": "determinants",
    "annulent": "cancel", "annule": "cancels", "symetrique": "symmetric", "asymetrique": "asymmetric",
    "variance": "variance", "biais": "bias", "estimateur": "estimator", "estimation": "estimate",
    "discriminateur": "discriminator", "generateur": "generator", "optimal": "optimal", "optimale": "optimal",
    "posterieure": "posterior", "posteriori": "posterior", "priori": "prior", "latente": "latent", "latentes": "latent",
    "integrale": "integral", "intractable": "intractable", "incalculable": "intractable", "insoluble": "intractable",
    "dimension": "dimension", "malediction": "curse", "pixels": "pixels", "masque": "mask", "masques": "masks",
    "couche": "layer", "couches": "layers", "noyau": "kernel", "sortie": "output", "entree": "input",
    "scenario": "scenario", "scenarios": "scenarios", "cas": "case", "premier": "first", "premiere": "first",
    "deuxieme": "second", "second": "second", "seconde": "second", "vrai": "true", "faux": "false", "fausse": "false",
    "correcte": "correct", "incorrecte": "incorrect", "reponse": "answer", "pour": "for", "avec": "with",
    "sans": "without", "est": "is", "sont": "are", "et": "and", "ou": "or", "le": "the", "la": "the", "les": "the",
    "de": "of", "des": "of", "du": "of", "un": "a", "une": "a", "nous": "we", "je": "i", "utilise": "used",
    "utilisons": "use", "utiliserais": "would use", "utiliserait": "would use", "choisirais": "would choose",
    "choisit": "choose", "choisis": "choose", "choisissons": "choose", "choisir": "choose", "choisi": "chosen",
    "opterais": "would choose", "optons": "choose", "retient": "choose", "retenons": "choose", "minimiser": "minimise",
    "minimise": "minimise", "minimisons": "minimise", "maximiser": "maximise", "maximisons": "maximise",
    "utiliser": "use", "faut": "must",
}
_SUFFIXES = (("ique", "ical"), ("iques", "ical"), ("ite", "ity"), ("eux", "ous"), ("euse", "ous"),
             ("if", "ive"), ("ive", "ive"), ("tion", "tion"), ("tions", "tions"), ("isme", "ism"))


@lru_cache(maxsize=65536)
def plain_word(word: str) -> str:
    """The word in lower case without its accents ("Réponse" -> "reponse")."""
    if word.isascii():
        return word.lower()
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c)).lower()


@lru_cache(maxsize=1)
def _phrase_pattern() -> re.Pattern:
    keys = sorted(_PHRASES, key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(k).replace(r"\ ", r"[\s'’-]+") for k in keys) + r")\b")


def _word(word: str) -> str:
    key = plain_word(word)
    if key in _WORDS:
        return _WORDS[key]
    for french, english in _SUFFIXES:
        if key.endswith(french) and len(key) > len(french) + 3:
            return key[: -len(french)] + english
    return word


_NUMERO = re.compile(r"\b[nN]\s?[°º]\s?(?=\d)")


def fold(text: str) -> str:
    """The text with accents taken off its letters and "n°" blanked, character for character (so
    offsets stay valid): "Scénario n°1" -> "Scenario   1", for markers written in English."""
    out = []
    for ch in text:
        if ch.isascii():
            out.append(ch)
            continue
        base = unicodedata.normalize("NFKD", ch)[:1]
        out.append(base if base.isascii() and base.isalpha() else ch)
    return _NUMERO.sub(lambda m: " " * len(m.group(0)), "".join(out))


@lru_cache(maxsize=4096)
def gloss(text: str) -> str:
    """The English gloss of a French text (see the module doc): phrases, then words, replaced."""
    plain = _NUMERO.sub("", plain_word(text))
    plain = _phrase_pattern().sub(lambda m: _PHRASES[re.sub(r"[\s'’-]+", " ", m.group(0))], plain)
    return re.sub(r"[a-zA-Z]+", lambda m: _word(m.group(0)), plain)

"""The first version of the coalition's open letter, as loaded by the data migration.

Kept in its own module so the migration stays frozen even if later versions
are written here: never edit these strings, publish a new version instead.
"""

SLUG = "creators-coalition-on-ai"
NAME = "Creators Coalition on AI — open letter"

TEXTS = {
    "en": {
        "title": "Consent first: an open letter from creators on AI",
        "body": """We make things. We act, direct and write; we shoot, light, edit, score and mix; we run channels, podcasts and newsletters; we draw, paint and design. Our work, our faces and our voices are what the entertainment and media industries are built on.

We are not against artificial intelligence. Many of us already use new tools, and some of us are excited by what they could open up for art. What we oppose is the way much of it is being built: by taking our work, our likenesses and our voices without asking, without telling us, and without paying us.

We ask every company that builds, sells or uses AI to commit to five things:

1. Consent before training. No one's work, voice, face or performance is used to train a model unless they have agreed to it, freely and in advance, and can take that agreement back.

2. Transparent licensing. Say what was used, where it came from and on what terms. Creators must be able to find out whether their work is in a training set, and licences must be written so that people can read them.

3. A clear line between training and commercial use. Permission to study a work is not permission to sell its imitation. Using a model to replace, clone or compete with the people whose work trained it needs its own agreement and its own payment.

4. No "launch first, regulate later". Products that depend on unconsented data should not ship and then wait for the courts. The rules come first, and the products follow them.

5. Enforceable industry standards. Voluntary promises are not enough. We call for standards written with creators, unions and guilds at the table, with audits, with remedies, and with consequences for those who break them.

If your craft or your livelihood can be copied or replaced by a machine, this concerns you. We sign this letter as individuals from every part of the creative world, and we invite everyone who creates to sign it with us.""",
    },
    "fr": {
        "title": "Le consentement d'abord : lettre ouverte des créateurs sur l'IA",
        "body": """Nous créons. Nous jouons, réalisons et écrivons ; nous filmons, éclairons, montons, composons et mixons ; nous animons des chaînes, des podcasts et des newsletters ; nous dessinons, peignons et concevons. Notre travail, nos visages et nos voix sont ce sur quoi reposent les industries du divertissement et des médias.

Nous ne sommes pas contre l'intelligence artificielle. Beaucoup d'entre nous utilisent déjà de nouveaux outils, et certains sont enthousiasmés par ce qu'ils pourraient ouvrir à l'art. Ce que nous refusons, c'est la manière dont une grande partie de ces outils est construite : en prenant notre travail, notre image et notre voix sans nous le demander, sans nous le dire et sans nous payer.

Nous demandons à toute entreprise qui conçoit, vend ou utilise l'IA de s'engager sur cinq points :

1. Le consentement avant l'entraînement. Aucune œuvre, voix, image ou interprétation ne sert à entraîner un modèle sans l'accord libre et préalable de son auteur, qui doit pouvoir le retirer.

2. Des licences transparentes. Dire ce qui a été utilisé, d'où cela vient et à quelles conditions. Chaque créateur doit pouvoir savoir si son travail figure dans un jeu d'entraînement, et les licences doivent être écrites pour être lues.

3. Une frontière nette entre l'entraînement et l'usage commercial. Le droit d'étudier une œuvre n'est pas le droit d'en vendre l'imitation. Se servir d'un modèle pour remplacer, cloner ou concurrencer les personnes dont le travail l'a entraîné exige un accord distinct et une rémunération distincte.

4. Pas de « lancer d'abord, réguler ensuite ». Les produits qui reposent sur des données prises sans consentement ne doivent pas sortir en attendant les tribunaux. Les règles d'abord, les produits ensuite.

5. Des normes professionnelles applicables. Les promesses volontaires ne suffisent pas. Nous demandons des normes écrites avec les créateurs, les syndicats et les guildes autour de la table, avec des audits, des recours et des conséquences pour qui les enfreint.

Si votre métier ou votre gagne-pain peut être copié ou remplacé par une machine, cela vous concerne. Nous signons cette lettre à titre individuel, depuis tous les horizons de la création, et nous invitons toutes celles et tous ceux qui créent à la signer avec nous.""",
    },
}


def load(Letter, LetterVersion, published_at):
    """Create the letter and its first version, given the model classes (the migration's historical ones)."""
    letter, _ = Letter.objects.get_or_create(slug=SLUG, defaults={"name": NAME})
    for language, text in TEXTS.items():
        LetterVersion.objects.get_or_create(
            letter=letter,
            number=1,
            language=language,
            defaults={"title": text["title"], "body": text["body"], "published_at": published_at},
        )
    return letter

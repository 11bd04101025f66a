# ruff: noqa: E501  (verbatim official labels)
"""Labels of the KBO/BCE codes the demo uses, as published in the KBO open data ``code.csv``.

NACE-BEL 2008 descriptions (FR, NL) and a few other code categories. Public code lists,
copied verbatim (including the odd double space of the official NL labels).
"""

from __future__ import annotations

NACE_2008: dict[str, tuple[str, str]] = {
    "47241": (
        "Commerce de détail de pain et de pâtisserie en magasin spécialisé (dépôt)",
        "Detailhandel in brood en banketbakkerswerk in gespecialiseerde winkels (koude bakkers)",
    ),
    "47221": (
        "Commerce de détail de viandes et de produits à base de viande en magasin spécialisé, sauf viande de gibier et de volaille",
        "Detailhandel in vlees en vleesproducten in gespecialiseerde winkels, m.u.v. vlees van wild  en van gevogelte",
    ),
    "47114": (
        "Commerce de détail en magasin non spécialisé à prédominance alimentaire (surface de vente comprise entre 400m² et moins de 2500m²)",
        "Detailhandel in niet-gespecialiseerde winkels waarbij voedings- en genotmiddelen overheersen (verkoopsoppervlakte tussen 400 m² en minder dan 2500 m²)",
    ),
    "47112": (
        "Commerce de détail en magasin non spécialisé à prédominance alimentaire (surface de vente < 100m²)",
        "Detailhandel in niet-gespecialiseerde winkels waarbij voedings- en genotmiddelen overheersen (verkoopsoppervlakte < 100 m²)",
    ),
    "47113": (
        "Commerce de détail en magasin non spécialisé à prédominance alimentaire (surface de vente comprise entre 100m² et moins de 400m²)",
        "Detailhandel in niet-gespecialiseerde winkels waarbij voedings- en genotmiddelen overheersen (verkoopsoppervlakte tussen 100 m² en minder dan 400 m²)",
    ),
    "47210": (
        "Commerce de détail de fruits et de légumes en magasin spécialisé",
        "Detailhandel in groenten en fruit in gespecialiseerde winkels",
    ),
    "47291": (
        "Commerce de détail de produits laitiers et d'oeufs en magasin spécialisé",
        "Detailhandel in zuivelproducten en eieren in gespecialiseerde winkels",
    ),
    "47711": (
        "Commerce de détail de vêtements pour dame en magasin spécialisé",
        "Detailhandel in damesbovenkleding in gespecialiseerde winkels",
    ),
    "47712": (
        "Commerce de détail de vêtements pour homme en magasin spécialisé",
        "Detailhandel in herenbovenkleding in gespecialiseerde winkels",
    ),
    "47716": (
        "Commerce de détail de vêtements, de sous-vêtements et d'accessoires pour dame, homme, enfant et bébé en magasin spécialisé, assortiment général",
        "Detailhandel in dames-, heren-, baby- en kinderboven- en onderkleding en kledingaccessoires in gespecialiseerde winkels (algemeen assortiment)",
    ),
    "47721": (
        "Commerce de détail de chaussures en magasin spécialisé",
        "Detailhandel in schoeisel in gespecialiseerde winkels",
    ),
    "47770": (
        "Commerce de détail d'articles d'horlogerie et de bijouterie en magasin spécialisé",
        "Detailhandel in uurwerken en sieraden in gespecialiseerde winkels",
    ),
    "47750": (
        "Commerce de détail de parfumerie et de produits de beauté en magasin spécialisé",
        "Detailhandel in cosmetica en toiletartikelen in gespecialiseerde winkels",
    ),
    "96021": (
        "Coiffure",
        "Haarverzorging",
    ),
    "96022": (
        "Soins de beauté",
        "Schoonheidsverzorging",
    ),
    "47761": (
        "Commerce de détail de fleurs, de plantes, de graines et d'engrais en magasin spécialisé",
        "Detailhandel in bloemen, planten, zaden en kunstmeststoffen in gespecialiseerde winkels",
    ),
    "47610": (
        "Commerce de détail de livres en magasin spécialisé",
        "Detailhandel in boeken in gespecialiseerde winkels",
    ),
    "47620": (
        "Commerce de détail de journaux et de papeterie en magasin spécialisé",
        "Detailhandel in kranten en kantoorbehoeften in gespecialiseerde  winkels",
    ),
    "47782": (
        "Commerce de détail de matériel photographique, d'optique et de précision en magasin spécialisé",
        "Detailhandel in fotografische en optische artikelen en in precisieinstrumenten in gespecialiseerde winkels",
    ),
    "47521": (
        "Commerce de détail de matériaux de construction en magasin spécialisé, assortiment général",
        "Bouwmarkten en andere doe-het-zelfzaken in bouwmaterialen, algemeen assortiment",
    ),
    "47430": (
        "Commerce de détail de matériels audio-vidéo en magasin spécialisé",
        "Detailhandel in audio- en videoapparatuur in gespecialiseerde winkels",
    ),
    "47420": (
        "Commerce de détail de matériels de télécommunication en magasin spécialisé",
        "Detailhandel in telecommunicatieapparatuur in gespecialiseerde winkels",
    ),
    "47242": (
        "Commerce de détail de chocolat et de confiserie en magasin spécialisé",
        "Detailhandel in chocolade en suikerwerk in gespecialiseerde winkels",
    ),
    "47251": (
        "Commerce de détail de vins et de spiritueux en magasin spécialisé",
        "Detailhandel in wijnen en geestrijke dranken in gespecialiseerde winkels",
    ),
    "47650": (
        "Commerce de détail de jeux et de jouets en magasin spécialisé",
        "Detailhandel in spellen en speelgoed in gespecialiseerde winkels",
    ),
    "47640": (
        "Commerce de détail d'articles de sport en magasin spécialisé",
        "Detailhandel in sport- en kampeerartikelen in gespecialiseerde winkels",
    ),
    "47591": (
        "Commerce de détail de mobilier de maison en magasin spécialisé",
        "Detailhandel in huismeubilair in gespecialiseerde winkels",
    ),
    "47789": (
        "Autre commerce de détail de biens neufs en magasin spécialisé n.c.a.",
        "Overige detailhandel in nieuwe artikelen in gespecialiseerde winkels, n.e.g.",
    ),
    "47762": (
        "Commerce de détail d'animaux de compagnie, d'aliments et d'accessoires pour ces animaux en magasin spécialisé",
        "Detailhandel in huisdieren, voedsel voor huisdieren en benodigdheden daarvoor in gespecialiseerde winkels",
    ),
    "47260": (
        "Commerce de détail de produits à base de tabac en magasin spécialisé",
        "Detailhandel in tabaksproducten in gespecialiseerde winkels",
    ),
    "47730": (
        "Commerce de détail de produits pharmaceutiques en magasin spécialisé",
        "Apotheken",
    ),
    "56101": (
        "Restauration à service complet",
        "Eetgelegenheden met volledige bediening",
    ),
    "56301": (
        "Cafés et bars",
        "Cafés en bars",
    ),
    "56102": (
        "Restauration à service restreint",
        "Eetgelegenheden met beperkte bediening",
    ),
    "62010": (
        "Programmation informatique",
        "Ontwerpen en programmeren van computerprogramma's",
    ),
    "69101": (
        "Activités des avocats",
        "Activiteiten van advocaten",
    ),
    "69201": (
        "Activités des experts-comptables et des conseils fiscaux",
        "Accountants en belastingconsulenten",
    ),
    "86210": (
        "Activités des médecins généralistes",
        "Huisartspraktijken",
    ),
    "86230": (
        "Pratique dentaire",
        "Tandartspraktijken",
    ),
    "71111": (
        "Activités d'architecture de construction",
        "Bouwarchitecten",
    ),
    "68311": (
        "Intermédiation en achat, vente et location de biens immobiliers pour compte de tiers",
        "Bemiddeling bij de aankoop, verkoop en verhuur van onroerend goed voor een vast bedrag of op contractbasis",
    ),
    "64190": (
        "Autres intermédiations monétaires",
        "Overige geldscheppende financiële instellingen",
    ),
    "84114": (
        "Administration publique communale, sauf Centres Publics d'Action Sociale (C.P.A.S.)",
        "Gemeentelijke overheid, met uitzondering van het O.C.M.W.",
    ),
    "85203": (
        "Enseignement primaire ordinaire communal subventionné",
        "Gemeentelijk gesubsidieerd gewoon lager onderwijs",
    ),
    "41201": (
        "Construction générale de bâtiments résidentiels",
        "Algemene bouw van residentiële gebouwen",
    ),
    "43211": (
        "Travaux d'installation électrotechnique de bâtiment",
        "Elektrotechnische installatiewerken aan gebouwen",
    ),
    "45201": (
        "Entretien et réparation général d'automobiles et d'autres véhicules automobiles légers ( = 3,5 tonnes )",
        "Algemeen onderhoud en reparatie van auto's en lichte bestelwagens (= 3,5 ton)",
    ),
    "70220": (
        "Conseil pour les affaires et autres conseils de gestion",
        "Overige adviesbureaus op het gebied van bedrijfsbeheer; adviesbureaus  op het gebied van bedrijfsvoering",
    ),
    "93130": (
        "Activités des centres de culture physique",
        "Fitnesscentra",
    ),
}

JURIDICAL_FORM: dict[str, tuple[str, str]] = {
    "014": ("Société anonyme", "Naamloze vennootschap"),
    "015": (
        "Société privée à responsabilité limitée",
        "Besloten vennootschap met beperkte aansprakelijkheid",
    ),
    "610": ("Société à responsabilité limitée", "Besloten Vennootschap"),
    "612": ("Société en commandite", "Commanditaire vennootschap"),
    "017": ("Association sans but lucratif", "Vereniging zonder winstoogmerk"),
}

OTHER_CODES: tuple[tuple[str, str, str, str], ...] = (
    ("ActivityGroup", "001", "FR", "Activités TVA"),
    ("ActivityGroup", "001", "NL", "BTW-activiteiten"),
    ("Classification", "MAIN", "FR", "Activité principale"),
    ("Classification", "MAIN", "NL", "Hoofdactiviteit"),
    ("Classification", "SECO", "FR", "Activité secondaire"),
    ("Classification", "SECO", "NL", "Nevenactiviteit"),
    ("JuridicalSituation", "000", "FR", "Situation normale"),
    ("JuridicalSituation", "000", "NL", "Normale toestand"),
    ("Language", "0", "FR", "inconnu"),
    ("Language", "0", "NL", "Onbekend"),
    ("Language", "1", "FR", "français"),
    ("Language", "1", "NL", "Frans"),
    ("Language", "2", "FR", "néerlandais"),
    ("Language", "2", "NL", "Nederlands"),
    ("Status", "AC", "FR", "Actif"),
    ("Status", "AC", "NL", "Actief"),
    ("TypeOfAddress", "BAET", "FR", "Unité d'établissement"),
    ("TypeOfAddress", "BAET", "NL", "Vestigingseenheid"),
    ("TypeOfAddress", "REGO", "FR", "Siège"),
    ("TypeOfAddress", "REGO", "NL", "Zetel"),
    ("TypeOfDenomination", "001", "FR", "Dénomination"),
    ("TypeOfDenomination", "001", "NL", "Naam"),
    ("TypeOfDenomination", "003", "FR", "Dénomination commerciale"),
    ("TypeOfDenomination", "003", "NL", "Commerciële naam"),
    ("TypeOfEnterprise", "1", "FR", "Personne physique"),
    ("TypeOfEnterprise", "1", "NL", "Natuurlijk Persoon"),
    ("TypeOfEnterprise", "2", "FR", "Personne morale"),
    ("TypeOfEnterprise", "2", "NL", "Rechtspersoon"),
)

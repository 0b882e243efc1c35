"""~30 real learning-outcome statements -> the ESCO v1.1.1 concepts a curriculum designer would pick.

Each URI was checked against the shipped skills_en.csv (test_sample_uris_exist checks it again, with its label).
"""

from __future__ import annotations

ESCO = "http://data.europa.eu/esco/skill/"

SAMPLE: list[tuple[str, dict[str, str]]] = [
    (
        "Explain the food safety standards that apply in a commercial kitchen.",
        {
            ESCO + "fa46ff13-5ad7-4a11-85d6-4b0614e411de": "food safety standards",
            ESCO + "3f4e4eab-a8e0-4aed-b8bb-79afe7c890e3": "food safety principles",
            ESCO + "791fa659-3382-49f8-a8dd-505226d0da48": "food hygiene rules",
            ESCO + "0ff99f51-40d9-42f1-a1ec-377b2bb5e15f": "comply with food safety and hygiene",
        },
    ),
    (
        "Prepare, store and serve food in compliance with food safety and hygiene rules.",
        {
            ESCO + "0ff99f51-40d9-42f1-a1ec-377b2bb5e15f": "comply with food safety and hygiene",
            ESCO + "791fa659-3382-49f8-a8dd-505226d0da48": "food hygiene rules",
            ESCO + "fa46ff13-5ad7-4a11-85d6-4b0614e411de": "food safety standards",
            ESCO + "3f4e4eab-a8e0-4aed-b8bb-79afe7c890e3": "food safety principles",
        },
    ),
    (
        "Use spreadsheet software to organise, calculate and chart workplace data.",
        {
            ESCO + "1973c966-f236-40c9-b2d4-5d71a89019be": "use spreadsheets software",
            ESCO + "2b92a5b2-6758-4ee3-9fb4-b6387a55cc8f": "perform data analysis",
        },
    ),
    (
        "Work effectively in teams to complete a shared project.",
        {
            ESCO + "60c78287-22eb-4103-9c8c-28deaa460da0": "work in teams",
            ESCO + "a5b0cd5c-e13a-4ab3-8d93-4d242adcfb01": "teamwork principles",
            ESCO + "cd5efa8c-e44d-4cbc-91c6-796018dbed68": "perform project management",
        },
    ),
    (
        "Provide high quality customer service and handle customer complaints.",
        {
            ESCO + "a15dab55-f1da-4f85-ae3e-2b5c5b5333ca": "provide high quality customer service",
            ESCO + "75dfe1ee-5935-42ce-b820-697f827825c3": "maintain customer service",
            ESCO + "15a33d76-4640-438d-ae64-fdc0c1d3eebc": "customer service",
            ESCO + "28d715e3-3e5b-4fb6-8dd2-4be4919c8587": "handle customer complaints",
            ESCO + "0da516ee-e70e-4384-be13-f5ff80be8127": "communicate with customers",
        },
    ),
    (
        "Provide first aid to an injured person until emergency services arrive.",
        {
            ESCO + "1d21f6ad-340f-45da-a0a3-4e83867f47a6": "provide first aid",
            ESCO + "f7464f30-662b-4177-85a0-3df9693e9e58": "first aid",
            ESCO + "169239b5-3644-4e23-8a85-4f5896dbdb8e": "apply medical first aid in case of emergency",
        },
    ),
    (
        "Write Python programs to automate data processing tasks.",
        {
            ESCO + "ccd0a1d9-afda-43d9-b901-96344886e14d": "Python (computer programming)",
            ESCO + "21d2f96d-35f7-4e3f-9745-c533d2dd6e97": "computer programming",
        },
    ),
    (
        "Query relational databases with SQL.",
        {
            ESCO + "598de5b0-5b58-4ea7-8058-a4bc4d18c742": "SQL",
            ESCO + "9cf681c7-89ec-470c-b651-7fe03786f586": "query languages",
            ESCO + "4463a721-69f3-413d-8321-43e3af13a4f1": "use databases",
        },
    ),
    (
        "Apply statistical analysis techniques to interpret survey data.",
        {
            ESCO + "382c11ed-20d5-4ae7-b60e-15fec527fa6c": "apply statistical analysis techniques",
            ESCO + "7ee4c2ea-b349-4bd2-81a3-ec31475d4833": "statistics",
            ESCO + "2b92a5b2-6758-4ee3-9fb4-b6387a55cc8f": "perform data analysis",
        },
    ),
    (
        "Plan and manage a project, its schedule, resources and risks.",
        {
            ESCO + "cd5efa8c-e44d-4cbc-91c6-796018dbed68": "perform project management",
            ESCO + "7111b95d-0ce3-441a-9d92-4c75d05c4388": "project management",
            ESCO + "237db40b-4600-47c0-837f-4a2c4f3014ab": "project management principles",
            ESCO + "1dd23dba-dd00-45ab-abf4-642902538317": "perform risk analysis",
            ESCO + "f5dd06b8-5d17-4932-9d03-957d0c4f5051": "perform resource planning",
        },
    ),
    (
        "Prepare and monitor an operational budget.",
        {
            ESCO + "21c5790c-0930-4d74-b3b0-84caf5af12ea": "manage budgets",
            ESCO + "51b53bb3-7a67-4ce8-b959-c7f6c4af3456": "manage operational budgets",
            ESCO + "4ce09e3d-ca6b-424a-a328-7f551db75e59": "update budget",
            ESCO + "16f61a5b-23ba-4268-8517-82c77c4041a1": "examine budgets",
        },
    ),
    (
        "Manage your time and prioritise tasks to meet deadlines.",
        {
            ESCO + "d9013e0e-e937-43d5-ab71-0e917ee882b8": "manage time",
            ESCO + "91abe492-18be-4cce-93c7-0dca07072363": "meet deadlines",
        },
    ),
    (
        "Negotiate terms with suppliers to obtain the best price.",
        {
            ESCO + "5f2efbdf-08a2-49cd-9c06-bd284e4f0fbf": "negotiate terms with suppliers",
            ESCO + "c842be42-81b3-40f2-904c-ea8790ac88bd": "negotiate supplier arrangements",
            ESCO + "fde186df-c9c4-49f5-b2a5-d66adc7c43a5": "negotiate buying conditions",
            ESCO + "7ee9fb56-91b1-4363-b51f-ea54ae1b5761": "negotiate price",
        },
    ),
    (
        "Resolve conflicts between team members constructively.",
        {
            ESCO + "96de2e86-e287-41f2-88ab-15a2343afc6f": "resolve conflicts",
            ESCO + "0ee94af1-b445-4973-9c3f-459fab250342": "apply conflict management",
            ESCO + "afd49651-9119-4327-91fc-844a6dda1254": "conflict management",
        },
    ),
    (
        "Identify ICT security risks and protect systems against cyber attacks.",
        {
            ESCO + "fe1c2b32-7fe9-4668-affa-07ff658a68cf": "identify ICT security risks",
            ESCO + "8088750d-8388-4170-a76f-48354c469c44": "cyber security",
            ESCO + "5898d99a-62a4-4e10-a2e3-0d815ce44248": "cyber attack counter-measures",
            ESCO + "3ff589b7-68df-4ea5-ae41-b395bdb2378f": "ICT security standards",
        },
    ),
    (
        "Weld steel components using arc welding techniques.",
        {
            ESCO + "27d26fd6-5795-4f0a-884e-112df7c68314": "apply arc welding techniques",
            ESCO + "2ee57de4-bffd-4194-b009-0060edec77cc": "use welding equipment",
            ESCO + "2fcd95a4-1f9a-41cf-95a9-4701bde476b4": "operate welding equipment",
        },
    ),
    (
        "Lead a team and motivate staff to reach objectives.",
        {
            ESCO + "1f1d2ff8-c4c1-45cc-9812-6a7ee84a73cb": "lead a team",
            ESCO + "75d8e5d9-bef3-418b-9011-01bff9f27207": "lead others",
            ESCO + "e2d44a9b-f28c-489e-9861-b654b5ded507": "motivate others",
            ESCO + "339ac029-066a-4985-9f9d-b3d7c8fea0bb": "manage staff",
            ESCO + "22c2af9e-ba0d-4cee-abb6-b6dbef006cd5": "motivate employees",
        },
    ),
    (
        "Keep accurate accounting records and bookkeeping entries.",
        {
            ESCO + "5f1ebff6-98ec-411f-a1d4-0bf04bd03bdf": "check accounting records",
            ESCO + "99b163e8-7815-43e2-83f3-a47f3076354c": "accounting entries",
            ESCO + "880c54f9-866e-4f37-b5fa-25ef8a7d49b6": "accounting techniques",
            ESCO + "2ff405ec-f59c-4a7b-84b6-9776a49582c4": "bookkeeping regulations",
            ESCO + "faf8943c-72ff-4736-a587-25508695d6f0": "maintain financial records",
        },
    ),
    (
        "Develop a marketing strategy for a new product.",
        {
            ESCO + "08fd2839-670c-4f16-8024-97437f2035ab": "plan marketing strategy",
            ESCO + "13e2378e-0d10-450d-843a-b3592575826e": "implement marketing strategies",
            ESCO + "de03f4fd-c147-4477-a048-7109e5ba2d6f": "marketing principles",
            ESCO + "d3e585e9-3a73-4511-b533-90f095e5aa09": "marketing mix",
        },
    ),
    (
        "Apply health and safety procedures in the workplace.",
        {
            ESCO + "198b614d-a9af-46f5-b3fd-2672b401dd8e": "health and safety in the workplace",
            ESCO + "dcc96a49-0bac-4a9c-8f8e-a32b4e47e6eb": "apply health and safety standards",
            ESCO + "44e2c4c4-9fd2-42d4-a133-d81360ded4bc": "manage health and safety standards",
            ESCO + "2dbdd054-896a-4167-8f11-e9b9ebcf199d": "health, safety and hygiene legislation",
        },
    ),
    (
        "Write clear technical reports for non-expert readers.",
        {
            ESCO + "941364b9-1375-4add-9889-d67bae99bc8c": "write technical reports",
            ESCO + "918f5211-b99f-4b29-9a34-6e475583ef55": "write work-related reports",
        },
    ),
    (
        "Act according to an ethical code of conduct.",
        {
            ESCO + "cef5c0f8-1e40-4c09-b6a7-aa7811849e5d": "ethics",
            ESCO + "d2564da5-c21f-4c02-8887-c78a001bb183": "adhere to organisational code of ethics",
        },
    ),
    (
        "Show willingness to learn new methods and technologies.",
        {
            ESCO + "9bf266a6-188b-4d17-a22f-2f266d76832b": "demonstrate willingness to learn",
            ESCO + "a8d24a95-47b3-4f88-92e7-06600bcd3612": "manage personal professional development",
            ESCO + "429062f1-a958-43ea-83dd-4e1af078c156": "demonstrate curiosity",
        },
    ),
    (
        "Adapt to change in work conditions and priorities.",
        {
            ESCO + "49de9958-2aa4-4eef-a89d-fe5d5bcd28c4": "adapt to change",
            ESCO + "5592ab32-4e7a-4cda-8e64-ca36d5de8a10": "adapt to changing situations",
            ESCO + "5cd1930c-278d-4929-b413-27352f5b3687": "cope with uncertainty",
        },
    ),
    (
        "Understand and write English in a professional context.",
        {
            ESCO + "3993c87c-7719-4186-811b-8ddfb40e76be": "write English",
            ESCO + "7ee20fe2-facd-4cc5-837b-927429e0e7ac": "understand written English",
            ESCO + "6d3edede-8951-4621-a835-e04323300fa0": "English",
            ESCO + "64ff8d5f-58a8-4efb-af5a-e161854b3e9a": "understand spoken English",
            ESCO + "0ee9e985-0ee5-4a73-8a12-78b53b261bb2": "interact verbally in English",
        },
    ),
    (
        "Build and evaluate machine learning models.",
        {
            ESCO + "3a2d5b45-56e4-4f5a-a55a-4a4a65afdc43": "machine learning",
            ESCO + "8369c2d6-c100-4cf6-bd83-9668d8678433": "utilise machine learning",
            ESCO + "e465a154-93f7-4973-9ce1-31659fe16dd2": "principles of artificial intelligence",
        },
    ),
    (
        "Install electrical wiring according to wiring diagrams.",
        {
            ESCO + "ed291aa0-8b2f-4179-b2f7-540ea6f63bf3": "electrical wiring diagrams",
            ESCO + "d15e92c4-c8dc-48cd-a1f6-94fe13347f87": "electrical wiring plans",
            ESCO + "52797dce-911c-4e6d-b0cb-491f6469014f": "install electrical and electronic equipment",
        },
    ),
    (
        "Use a range of cooking techniques to prepare meat and fish dishes.",
        {
            ESCO + "f3934441-4bff-4076-9945-e6c51a01c467": "use cooking techniques",
            ESCO + "f19f0cda-73f4-417e-8ec9-c0cacf5e7149": "cook meat dishes",
            ESCO + "d01ea580-9718-4299-a6fd-08ea6d171a1b": "cook fish",
        },
    ),
    (
        "Maintain an inventory of stock and order supplies.",
        {
            ESCO + "00ec5333-e570-477b-9017-2e95fea0150a": "maintain inventory of cleaning supplies",
            ESCO + "ab6265f2-a9bf-49e8-a9a5-67cbab4de38b": "manage inventory",
            ESCO + "210827e3-3129-45a2-8683-70399f3f561f": "order supplies",
            ESCO + "05281013-f5ae-4bf2-ad23-d5d6f7573b46": "carry out inventory planning",
            ESCO + "5aaf2780-04d7-4bbf-8b06-af36eafe8eba": "inventory management rules",
            ESCO + "0c8f1351-d1fe-4542-89fe-b70729679c52": "manage consumables stock",
        },
    ),
    (
        "Attend to detail when checking labels and records.",
        {
            ESCO + "83e6510b-ffeb-4aec-959c-4265fd0ff7b7": "attend to detail",
            ESCO + "5f1ebff6-98ec-411f-a1d4-0bf04bd03bdf": "check accounting records",
        },
    ),
    (
        "Communicate with customers by telephone and email.",
        {
            ESCO + "0da516ee-e70e-4384-be13-f5ff80be8127": "communicate with customers",
            ESCO + "de2f0ce8-f8d6-48c5-a213-4d065251cecf": "communicate by telephone",
            ESCO + "415abd43-e8e5-4643-b5da-5f11307af57a": "use different communication channels",
        },
    ),
    (
        "Promote sustainability and environmentally friendly work practices.",
        {
            ESCO + "469e19ed-a0bd-445a-ae2d-4ba9430e296b": "promote sustainability",
            ESCO
            + "24ae68dc-59c5-4156-b25b-3070bfdaa79e": "follow environmentally sustainable work practices in the veterinary sector",  # noqa: E501
            ESCO + "8abdc43c-2bfd-417c-97c2-27fcdaf53171": "promote environmental awareness",
        },
    ),
]

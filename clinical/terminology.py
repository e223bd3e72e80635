"""Facts about codes that decide where a chart entry is shown.

Synthea records social circumstances and administrative reminders as Conditions
(SNOMED CT findings and situations). A clinician's problem list keeps them apart from
clinical problems, as Epic's social history does, so they are listed separately.
"""

SOCIAL_CONTEXT_CODES = frozenset(
    {
        "314529007",  # Medication review due (situation)
        "224299000",  # Received higher education (finding)
        "5251000175109",  # Received certificate of high school equivalency (finding)
        "473461003",  # Educated to high school level (finding)
        "224295006",  # Only received primary school education (finding)
        "160903007",  # Full-time employment (finding)
        "160904001",  # Part-time employment (finding)
        "741062008",  # Not in labor force (finding)
        "73438004",  # Unemployed (finding)
        "73595000",  # Stress (finding)
        "423315002",  # Limited social contact (finding)
        "422650009",  # Social isolation (finding)
        "266948004",  # Has a criminal record (finding)
        "160968000",  # Risk activity involvement (finding)
        "1187604002",  # Serving in military service (finding)
        "706893006",  # Victim of intimate partner abuse (finding)
        "424393004",  # Reports of violence in the environment (finding)
        "446654005",  # Refugee (person)
        "105531004",  # Housing unsatisfactory (finding)
        "32911000",  # Homeless (finding)
        "713458007",  # Lack of access to transportation (finding)
        "10939881000119105",  # Unhealthy alcohol drinking behavior (finding)
        "361055000",  # Misuses drugs (finding)
    }
)

"""The clinical review table (issue 13): per template, what its rubric follows and the numbers it uses.

Kept as data beside the templates, not as prose in the README, so that it cannot drift: `review_table()`
renders it for every template `library_load()` returns and refuses a template without a review or a review
without a template, and `harness/tests/test_clinical_review.py` holds the README's copy to that rendering
and the doses and cut-offs the code uses to the thresholds text. `source` names the guideline or protocol
(organisation, title, year, a DOI where one is certain); where a template follows no clinical guideline
(chart retrieval, charting what the patient states) it says so. `thresholds` restates the template's own
numbers; change it with the template.

Regenerate the README section after editing a template or a review:

    python manage.py shell -c "from harness.library.clinical_review import readme_update; readme_update()"
"""

from dataclasses import dataclass
from pathlib import Path

from harness.library import library_load

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- clinical-review:start -->", "<!-- clinical-review:end -->"


@dataclass(frozen=True)
class Review:
    source: str
    thresholds: str


# Citations used by more than one template.
ACETAMINOPHEN_LABEL = "FDA acetaminophen labelling (at most 4 g in 24 h; liver warning, 21 CFR 201.326)"
ACETAMINOPHEN_PRN = ("Acetaminophen PO as needed, routine or urgent: 500-1000 mg every 6 or 8 h, or 325-650 mg "
                     "every 4 h (at most 1 g a dose, 4 g a day)")
ACIP_SCHEDULES = "CDC/ACIP child and adolescent and adult immunization schedules, United States, 2025"
ADA_2025 = "ADA Standards of Care in Diabetes 2025 (Diabetes Care 2025;48(Suppl 1))"
BEERS_2023 = "AGS Beers Criteria 2023 (J Am Geriatr Soc 2023;71:2052, doi:10.1111/jgs.18372)"
CAP_2019 = ("ATS/IDSA 2019 community-acquired pneumonia guideline (Metlay et al., Am J Respir Crit Care Med "
            "2019;200:e45, doi:10.1164/rccm.201908-1581ST)")
CHEST_PAIN_2021 = ("2021 AHA/ACC chest pain guideline (Gulati et al., Circulation 2021;144:e368, "
                   "doi:10.1161/CIR.0000000000001029)")
CHOLESTEROL_2018 = ("2018 AHA/ACC cholesterol guideline (Grundy et al., Circulation 2019;139:e1082, "
                    "doi:10.1161/CIR.0000000000000625)")
CKD_EPI_2021 = ("CKD-EPI 2021 creatinine equation (Inker et al., N Engl J Med 2021;385:1737, "
                "doi:10.1056/NEJMoa2102953)")
CYSTITIS_2010 = ("IDSA/ESCMID 2010 acute uncomplicated cystitis guideline (Gupta et al., Clin Infect Dis "
                 "2011;52:e103, doi:10.1093/cid/ciq257)")
DRUG_ALLERGY_2022 = ("AAAAI/ACAAI drug allergy practice parameter 2022 (Khan et al., J Allergy Clin Immunol "
                     "2022;150:1333, doi:10.1016/j.jaci.2022.08.028)")
HEART_FAILURE_2022 = ("2022 AHA/ACC/HFSA heart failure guideline (Heidenreich et al., Circulation 2022;145:e895, "
                      "doi:10.1161/CIR.0000000000001063)")
KDIGO_2024 = ("KDIGO 2024 CKD guideline (Kidney Int 2024;105(4S):S117, doi:10.1016/j.kint.2023.10.018)")
MED_REC = "Medication reconciliation (The Joint Commission NPSG.03.06.01)"
MEDAGENTBENCH = "MedAgentBench category {} (Jiang et al., NEJM AI 2025; arXiv:2501.14654)"
NSTE_ACS_2014 = ("AHA/ACC 2014 NSTE-ACS guideline (Amsterdam et al., Circulation 2014;130:e344, "
                 "doi:10.1161/CIR.0000000000000134)")
PRIMARY_PREVENTION_2019 = ("2019 ACC/AHA primary prevention guideline (Arnett et al., Circulation 2019;140:e596, "
                           "doi:10.1161/CIR.0000000000000678)")
RETRIEVAL = "Chart retrieval; no clinical threshold"
SEPSIS_2021 = ("Surviving Sepsis Campaign 2021 (Evans et al., Crit Care Med 2021;49:e1063, "
               "doi:10.1097/CCM.0000000000005337)")
VANCOMYCIN_2020 = ("ASHP/IDSA/PIDS/SIDP 2020 vancomycin guideline (Rybak et al., Am J Health Syst Pharm "
                   "2020;77:835, doi:10.1093/ajhp/zxaa036)")

REVIEW: dict[str, Review] = {
    # --- Behavioral health ---------------------------------------------------------------------------
    "ehr/behavioral-health.anxiety-gad7-followup-note-v1": Review(
        "GAD-7 (Spitzer et al., Arch Intern Med 2006;166:1092); documents the chart's own score, no cut-off",
        "Latest GAD-7 total (LOINC 70274-6) stated in a sentence of a signed progress note; medication list "
        "reviewed; adults (18+); no severity band applied"),
    "ehr/behavioral-health.depression-screen-review-note-v1": Review(
        "PHQ-9 (Kroenke et al., J Gen Intern Med 2001;16:606) and PHQ-2 (Kroenke et al., Med Care "
        "2003;41:1284); documents the chart's own score, no cut-off",
        "Latest total of PHQ-9 (LOINC 44261-6), PHQ-9 modified for teens (89204-2) or PHQ-2 (55758-7) stated in "
        "a signed progress note with a plan to repeat the screen; age 11+; no severity band applied"),
    "ehr/behavioral-health.ssri-safe-analgesia-v1": Review(
        f"{ACETAMINOPHEN_LABEL}; SSRI prescribing information (bleeding risk with NSAIDs); {BEERS_2023}",
        f"{ACETAMINOPHEN_PRN}; any NSAID critical, an opioid a penalty; adults on an SSRI, not on "
        "an anticoagulant or acetaminophen, no unhealthy alcohol use on the problem list"),
    # --- Cardiology ----------------------------------------------------------------------------------
    "ehr/cardiology.chest-pain-aspirin-allergy-v1": Review(
        f"{NSTE_ACS_2014}: clopidogrel loading dose when aspirin cannot be given (class I)",
        "Clopidogrel 300 or 600 mg PO once, stat; aspirin or any salicylate critical; ECG and high-sensitivity "
        "troponin stat; nitroglycerin 0.4 mg SL every 5 min as needed; chest X-ray, BMP and CBC urgent or stat; "
        "telemetry; arrival vitals as stated; age 30+, aspirin allergy, no anticoagulant"),
    "ehr/cardiology.chest-pain-rule-out-v1": Review(
        f"{NSTE_ACS_2014}; {CHEST_PAIN_2021}",
        "Order set as built: ECG and high-sensitivity troponin stat; aspirin 324 mg PO once, stat (chewed); "
        "nitroglycerin 0.4 mg SL every 5 min as needed; chest X-ray, BMP and CBC urgent or stat; telemetry; "
        "age 30+, no aspirin or nitroglycerin allergy, no anticoagulant"),
    "ehr/cardiology.heart-failure-admission-v1": Review(
        f"{HEART_FAILURE_2022}; enoxaparin (Lovenox) prescribing information; ACCP 2012 VTE prevention in "
        "nonsurgical patients (Kahn et al., Chest 2012;141(2 Suppl):e195S)",
        "Furosemide IV twice daily at the attending's 80 or 60 mg, urgent or stat; enoxaparin 40 mg SC once "
        "daily, 30 mg once daily with a Cockcroft-Gault CrCl below 30 mL/min; BNP or NT-proBNP, chest X-ray and "
        "ECG urgent or stat; daily BMP, magnesium, echocardiogram, telemetry; age 40+, no CKD on the problem "
        "list, no anticoagulant or NSAID"),
    "ehr/cardiology.hypertension-annual-labs-v1": Review(
        "2017 ACC/AHA high blood pressure guideline, basic testing (Whelton et al., Hypertension 2018;71:e13, "
        f"doi:10.1161/HYP.0000000000000065); {KDIGO_2024} (albuminuria testing)",
        "BMP, lipid panel (LOINC 57698-3) and urine albumin-to-creatinine ratio (14959-1), all routine; ECG, "
        "total cholesterol, creatinine, HbA1c and urinalysis allowed; adults with hypertension"),
    "ehr/cardiology.lipid-at-goal-v1": Review(
        f"The instruction's goal. The template cites the {CHOLESTEROL_2018}, which sets no single LDL goal; "
        "total cholesterol below 200 mg/dL is NCEP ATP III's desirable level (JAMA 2001;285:2486)",
        "Latest value against the goal, above goal at or over it: LDL cholesterol (LOINC 18262-6) below "
        "100 mg/dL, total cholesterol (2093-3) below 200 mg/dL; adults"),
    "ehr/cardiology.suspected-heart-failure-workup-v1": Review(
        HEART_FAILURE_2022,
        "NT-proBNP or BNP, BMP, 12-lead ECG, chest X-ray and transthoracic echocardiogram, each routine or "
        "urgent; CBC and TSH allowed; NSAID critical; vitals as stated; age 40+"),
    # --- Documentation -------------------------------------------------------------------------------
    "ehr/documentation.discharge-summary-medications-v1": Review(
        f"{MED_REC}; documentation, no clinical threshold",
        "Signed discharge summary states that the home drug continues (lisinopril, amlodipine, "
        "hydrochlorothiazide, escitalopram, sertraline, fluoxetine, omeprazole or famotidine); medication list "
        "reviewed"),
    "ehr/documentation.ed-history-and-physical-v1": Review(
        "Emergency department documentation; no clinical threshold",
        "Arrival vitals recorded as stated; signed H&P states the chief complaint, the arrival blood pressure and "
        "the latest potassium (LOINC 2823-3 or 6298-4) with value and unit; adults"),
    "ehr/documentation.glycemic-progress-note-v1": Review(
        "Documentation of the chart's problem and latest HbA1c; no clinical threshold",
        "Signed progress note names prediabetes or type 2 diabetes and states the latest HbA1c (LOINC 4548-4) "
        "with %; adults with the problem and an HbA1c on the chart"),
    "ehr/documentation.progress-note-lab-result-v1": Review(
        "Documentation of a chart result; no clinical threshold",
        "Signed progress note states the latest potassium, sodium or glucose (serum or blood code) with value "
        "and unit in a sentence"),
    "ehr/documentation.record-blood-pressure-v1": Review(
        MEDAGENTBENCH.format("3 (record vitals)"),
        "Blood pressure 118/77, 142/91 or 104/66 mmHg recorded exactly (tolerance 0); adults"),
    # --- Emergency care ------------------------------------------------------------------------------
    "ehr/emergency-care.anaphylaxis-bee-sting-v1": Review(
        "WAO Anaphylaxis Guidance 2020 (Cardona et al., World Allergy Organ J 2020;13:100472, "
        "doi:10.1016/j.waojou.2020.100472); AAAAI/ACAAI anaphylaxis practice parameter 2023 (Golden et al., "
        "Ann Allergy Asthma Immunol 2024;132:124, doi:10.1016/j.anai.2023.09.015)",
        "Epinephrine 0.3-0.5 mg IM once, stat, one order; bee venom allergy recorded with anaphylaxis; "
        "beta-blocker critical; antihistamine, corticosteroid, IV fluid, H2 blocker and oxygen allowed; vitals as "
        "stated; adults without a venom allergy on record"),
    "ehr/emergency-care.chest-pain-workup-v1": Review(
        f"{NSTE_ACS_2014}; {CHEST_PAIN_2021}",
        "ECG and high-sensitivity troponin stat; aspirin 162-325 mg PO once, stat, chewed (the oracle gives "
        "324 mg); NSAID critical; nitroglycerin, chest X-ray, BMP, CBC and telemetry allowed; vitals as stated; "
        "age 30+, no aspirin allergy"),
    "ehr/emergency-care.sepsis-bundle-v1": Review(
        f"{SEPSIS_2021}; CMS SEP-1 severe sepsis/septic shock bundle; antibiotic doses from FDA labelling",
        "All stat: lactate, blood cultures, normal saline 30 mL/kg IV once by the latest weight (27-33 mL/kg in "
        "250 mL steps, at most 4000 mL) and one beta-lactam: piperacillin-tazobactam 3.375 or 4.5 g every 6 or "
        "8 h, cefepime 2000 mg every 8 or 12 h, or ceftriaxone 1000 or 2000 mg every 24 h; vancomycin, "
        "azithromycin, CMP, CBC and urine studies allowed; triage vitals as stated; no penicillin or "
        "cephalosporin allergy; Cockcroft-Gault CrCl 60 mL/min or more, or unknown"),
    "ehr/emergency-care.severe-hypoglycemia-v1": Review(
        f"{ADA_2025}, section 6, Glycemic Goals and Hypoglycemia (doi:10.2337/dc25-S006); dextrose 50% "
        "injection labelling",
        "Dextrose 50% 25 g IV once, stat; repeat point-of-care glucose (LOINC 41653-7) stat; any insulin "
        "critical; stated fingerstick glucose 38, 45 or 29 mg/dL; adults with diabetes"),
    "ehr/emergency-care.triage-intake-v1": Review(
        "Emergency department triage charting; code status as the patient states it; no clinical threshold",
        "Six arrival vitals recorded exactly as stated (tolerance 0); allergies reviewed; code status DNR/DNI, "
        "DNR or comfort care; adults with full code"),
    # --- Endocrinology -------------------------------------------------------------------------------
    "ehr/endocrinology.a1c-diagnostic-category-v1": Review(
        f"{ADA_2025}, section 2, Diagnosis and Classification of Diabetes (S27, doi:10.2337/dc25-S002)",
        "Latest HbA1c (LOINC 4548-4): below 5.7% normal, 5.7-6.4% prediabetes range, 6.5% or more diabetes "
        "range; adults"),
    "ehr/endocrinology.average-glucose-24h-v1": Review(
        MEDAGENTBENCH.format(6),
        "Mean glucose (LOINC 2345-7, 2339-0; a draw filed under both counts once) in the 24 h before the stated "
        "clock, within 0.5 mg/dL; -1 when none"),
    "ehr/endocrinology.glycemic-control-trend-v1": Review(
        "The instruction's rule (lower is better); no guideline threshold",
        "The two most recent draws: a change of 0.1 percentage points or less (HbA1c) or 5 mg/dL or less "
        "(glucose) is stable; adults"),
    "ehr/endocrinology.hba1c-check-reorder-v1": Review(
        MEDAGENTBENCH.format(10),
        "Latest HbA1c (LOINC 4548-4) with its date; a new routine HbA1c when that result is more than a year old "
        "(overdue branch 366+ days, current branch 364 days or less), none within a year"),
    "ehr/endocrinology.latest-glucose-v1": Review(
        MEDAGENTBENCH.format(7),
        "Newest glucose (LOINC 2345-7 or 2339-0) in mg/dL"),
    # --- Infectious disease --------------------------------------------------------------------------
    "ehr/infectious-disease.pneumonia-admission-v1": Review(
        CAP_2019,
        "Ceftriaxone 1000 or 2000 mg IV every 24 h plus azithromycin 500 mg IV or PO every 24 h, routine or "
        "urgent; chest X-ray, CBC, BMP and SARS-CoV-2 RNA urgent or stat; oxygen titrated to SpO2; blood cultures "
        "allowed, not required (advised in non-severe CAP only with MRSA or Pseudomonas risk); admission vitals as "
        "stated; no penicillin or cephalosporin allergy"),
    "ehr/infectious-disease.sepsis-penicillin-allergy-v1": Review(
        f"{SEPSIS_2021}; {DRUG_ALLERGY_2022}; {VANCOMYCIN_2020}",
        "All stat: lactate, blood cultures, cefepime 2000 mg IV every 8 h in place of piperacillin-tazobactam "
        "(any penicillin critical), normal saline 30 mL/kg (27-33 mL/kg in 250 mL steps, at most 4000 mL), "
        "vancomycin 20 mg/kg (15-35 mg/kg in 250 mg steps, at most 3000 mg) IV every 8 or 12 h; the set's CMP "
        "and CBC stat, urinalysis and urine culture urgent or stat; penicillin allergy; Cockcroft-Gault CrCl "
        "60 mL/min or more, or unknown"),
    "ehr/infectious-disease.uncomplicated-cystitis-v1": Review(
        f"{CYSTITIS_2010}; {BEERS_2023} (nitrofurantoin and TMP-SMX with reduced CrCl)",
        "One course, routine or urgent: nitrofurantoin 100 mg PO twice daily for 5 days, or TMP-SMX 160/800 mg "
        "(1 DS tablet) PO twice daily for 3 days; fluoroquinolone critical; non-pregnant women 18-64 without "
        "CKD, Cockcroft-Gault CrCl 30 mL/min or more (or unknown), no sulfonamide allergy, methotrexate or "
        "warfarin"),
    "ehr/infectious-disease.urine-studies-v1": Review(
        f"The instruction's orders (urine studies before an antibiotic); the template cites the {CYSTITIS_2010}",
        "Urinalysis (LOINC 24357-6) and urine culture (630-4), routine; nothing else; adults"),
    # --- Laboratory medicine -------------------------------------------------------------------------
    "ehr/laboratory-medicine.elevated-creatinine-follow-up-v1": Review(
        "The lab's own reference range (flag H); stopping nephrotoxins per the KDIGO 2012 acute kidney injury "
        "guideline (Kidney Int Suppl 2012;2:1)",
        "Latest creatinine flagged H or HH (above 1.35 mg/dL in men, 1.04 mg/dL in women); repeat BMP with the "
        "stated priority (urgent, routine or stat); NSAID critical; adults"),
    "ehr/laboratory-medicine.inbasket-critical-potassium-v1": Review(
        "Critical-value notification per CLIA (42 CFR 493.1291(g)) and The Joint Commission NPSG.02.03.01; the "
        "lab's critical limit for potassium (2.5 mmol/L); oral replacement dose per MedAgentBench's protocol",
        "A new critical potassium (LOINC 2823-3 or 6298-4, below 2.5 mmol/L): potassium chloride 40 mEq PO once, "
        "STAT or urgent, and a STAT potassium or BMP, signed; the notification acknowledged with a comment; "
        "latest eGFR below 30 excluded"),
    "ehr/laboratory-medicine.inbasket-acknowledge-normal-results-v1": Review(
        "Test-result follow-up (The Joint Commission NPSG.02.03.01); no clinical threshold beyond the lab's "
        "reference ranges",
        "Every new result notification within the reference range acknowledged; an abnormal or critical one "
        "acknowledged is critical; nothing ordered"),
    "ehr/laboratory-medicine.inbasket-route-abnormal-result-v1": Review(
        RETRIEVAL + " (the lab's reference ranges flag the result)",
        "The newest new abnormal notification (outside the reference range) routed to the chart; its value "
        "answered; nothing acknowledged"),
    "ehr/endocrinology.inbasket-abnormal-a1c-v1": Review(
        f"{ADA_2025}: A1c every 3 months when not at goal",
        "A new A1c above the reference range (over 5.6 %): a routine repeat A1c signed and the notification "
        "acknowledged with a comment"),
    "ehr/laboratory-medicine.latest-result-v1": Review(
        RETRIEVAL,
        "Newest value and unit of potassium, sodium, creatinine or glucose (serum or blood code), HbA1c, "
        "hemoglobin, LDL, total cholesterol or eGFR; either of two values filed at one moment"),
    "ehr/laboratory-medicine.magnesium-last-24h-v1": Review(
        MEDAGENTBENCH.format(4),
        "Latest serum magnesium (LOINC 19123-9) in the 24 h before the stated clock (3, 9, 30 or 50 h after a "
        "draw), within 0.05 mg/dL; -1 when none"),
    "ehr/laboratory-medicine.magnesium-replacement-v1": Review(
        f"{MEDAGENTBENCH.format(5)} dosing bands, with low meaning below the lab's lower reference limit "
        "(1.7 mg/dL) rather than MedAgentBench's 1.9; renal exclusion from magnesium sulfate labelling",
        "Latest magnesium in the 24 h before the clock: below 1.0 mg/dL, 4 g IV over 4 h, stat; 1.0-1.49, 2 g "
        "over 2 h, routine; 1.5-1.69, 1 g over 1 h, routine; one order, once. 1.7 or more, none measured, or "
        "latest eGFR below 30 mL/min/1.73 m2: no magnesium (critical)"),
    "ehr/laboratory-medicine.potassium-replacement-v1": Review(
        f"{MEDAGENTBENCH.format(9)}; the lab's lower reference limit (3.5 mmol/L)",
        "Latest potassium (LOINC 2823-3 or 6298-4) below 3.5 mmol/L: oral potassium chloride 10 mEq per "
        "0.1 mmol/L below 3.5 (10, 20, 30 or 40 mEq) once, routine or urgent, and a routine potassium or BMP "
        "recheck; 3.5 or more: no potassium (critical); IV potassium critical; latest eGFR below 30 excluded"),
    "ehr/laboratory-medicine.previous-result-v1": Review(
        RETRIEVAL,
        "Value and unit of the draw before the newest (potassium, sodium, creatinine, HbA1c, LDL or hemoglobin; "
        "a draw filed under two codes is one draw)"),
    "ehr/laboratory-medicine.result-trend-v1": Review(
        "The instruction's direction and stability margin; no guideline threshold",
        "Two most recent draws, stable within: hemoglobin 0.5 g/dL, HDL 2 mg/dL, triglyceride 10 mg/dL, LDL "
        "5 mg/dL, total cholesterol 5 mg/dL; higher is better for hemoglobin and HDL, lower for the others"),
    # --- Medication safety ---------------------------------------------------------------------------
    "ehr/medication-safety.ace-inhibitor-angioedema-v1": Review(
        "FDA labelling: ACE inhibitors and sacubitril-valsartan are contraindicated after ACE-inhibitor "
        "angioedema",
        "The listed ACE inhibitor (lisinopril or enalapril) stopped with a reason and recorded as an allergy with "
        "angioedema; any ACE inhibitor or ARNI order critical; stopping another drug critical; no new "
        "medication; adults"),
    "ehr/medication-safety.analgesic-aspirin-allergy-v1": Review(
        f"{DRUG_ALLERGY_2022}: NSAIDs cross-react with aspirin; acetaminophen 1 g or more cross-reacts in a "
        "minority with aspirin-exacerbated respiratory disease",
        "Acetaminophen 325-650 mg PO every 4, 6 or 8 h as needed, routine or urgent; NSAID or salicylate "
        "critical; adults with an aspirin allergy, not taking acetaminophen, no unhealthy alcohol use"),
    "ehr/medication-safety.antibiotic-penicillin-allergy-v1": Review(
        f"{CAP_2019}; IDSA 2012 group A streptococcal pharyngitis guideline (Shulman et al., Clin Infect Dis "
        f"2012;55:e86, doi:10.1093/cid/cis629); {DRUG_ALLERGY_2022}",
        "One PO course, routine or urgent. Pneumonia: doxycycline 100 mg twice daily 5-7 days, azithromycin "
        "500 mg daily 3 days, clarithromycin 500 mg twice daily 5-7 days. Pharyngitis: cephalexin 500 mg or "
        "cefuroxime 250 mg twice daily 10 days (mild delayed rash only), clindamycin 300 mg three times daily "
        "10 days, clarithromycin 250 mg twice daily 10 days, azithromycin 500 mg daily 5 days. Any penicillin "
        "critical; a cephalosporin after anaphylaxis critical; adults, not pregnant"),
    "ehr/medication-safety.document-drug-allergy-v1": Review(
        "Allergy charting (FHIR R4 AllergyIntolerance: substance, category, reaction); no clinical threshold",
        "Medication allergy with its reaction: sulfamethoxazole-trimethoprim (hives), codeine (vomiting), "
        "lisinopril (angioedema), ibuprofen (bronchospasm) or amoxicillin (rash); allergy list reviewed"),
    "ehr/medication-safety.mrsa-antibiotic-on-ssri-v1": Review(
        "Linezolid (Zyvox) labelling and FDA Drug Safety Communication 2011 (serotonin syndrome with "
        f"serotonergic drugs); {VANCOMYCIN_2020}",
        "Vancomycin 15-20 mg/kg IV by the latest weight (15 mg/kg aimed), in 250 mg steps, at most 2000 mg a "
        "dose, every 8 or 12 h, routine or urgent; linezolid critical; one medication order; adults on an "
        "SSRI or SNRI, Cockcroft-Gault CrCl 50 mL/min or more, or unknown"),
    "ehr/medication-safety.stop-home-medication-v1": Review(
        f"{MED_REC}; no clinical threshold",
        "The named drug discontinued with a reason of at least 2 words; stopping any other drug critical; "
        "nothing ordered"),
    # --- Navigation and chart review -----------------------------------------------------------------
    "ehr/navigation-and-chart-review.active-allergies-v1": Review(
        RETRIEVAL,
        "Every active allergy's substance (inactive and resolved left out) as a list, or \"none\""),
    "ehr/navigation-and-chart-review.active-medication-count-v1": Review(
        RETRIEVAL,
        "Number of drugs on the active medication list, exact (tolerance 0)"),
    "ehr/navigation-and-chart-review.find-mrn-v1": Review(
        MEDAGENTBENCH.format("1 (patient lookup)"),
        "The MRN of the patient with the stated name and birth date, exact"),
    "ehr/navigation-and-chart-review.goals-of-care-and-allergy-update-v1": Review(
        "Charting what the patient states; no clinical threshold",
        "Code status DNR/DNI, DNR or comfort care; codeine, lisinopril or ibuprofen allergy with its reaction; "
        "active medication count exact (tolerance 0); adults with full code"),
    "ehr/navigation-and-chart-review.orthopedic-referral-v1": Review(
        MEDAGENTBENCH.format("8 (referral order)"),
        "Orthopedic referral (SNOMED CT 183545006), consult, routine, signed, with the stated reason; nothing "
        "else; adults"),
    "ehr/navigation-and-chart-review.patient-age-v1": Review(
        MEDAGENTBENCH.format("2 (age)"),
        "Age today in completed years, exact (tolerance 0)"),
    # --- Nephrology ----------------------------------------------------------------------------------
    "ehr/nephrology.ckd-gfr-category-v1": Review(
        f"{KDIGO_2024}, GFR categories; {CKD_EPI_2021}",
        "eGFR from the latest creatinine, age at the draw and sex: G1 90 or more, G2 60-89, G3a 45-59, G3b "
        "30-44, G4 15-29, G5 below 15 mL/min/1.73 m2; within 1 of a boundary either category counts; adults"),
    "ehr/nephrology.ckd-kidney-safe-analgesia-bmp-v1": Review(
        f"{KDIGO_2024}; {BEERS_2023}; {ACETAMINOPHEN_LABEL}",
        f"{ACETAMINOPHEN_PRN}; BMP routine; NSAID critical; problem list reviewed; adults with "
        "CKD, not taking acetaminophen, no unhealthy alcohol use"),
    "ehr/nephrology.ckd-monitoring-labs-v1": Review(
        f"{KDIGO_2024}; KDIGO 2012 anemia in CKD guideline (Kidney Int Suppl 2012;2:279)",
        "BMP, urine albumin-to-creatinine ratio (LOINC 14959-1) and CBC, all routine; ferritin, creatinine, "
        "eGFR, urinalysis and potassium allowed; NSAID critical; adults with CKD"),
    "ehr/nephrology.ckd-screening-labs-v1": Review(
        f"{KDIGO_2024}; {ADA_2025}, section 11, Chronic Kidney Disease and Risk Management "
        "(doi:10.2337/dc25-S011)",
        "BMP (or CMP) and urine albumin-to-creatinine ratio, routine; adults with hypertension or type 2 "
        "diabetes, no known kidney disease, no eGFR below 60 on the chart or by CKD-EPI 2021 from a creatinine"),
    "ehr/nephrology.renal-dose-famotidine-v1": Review(
        "Famotidine (Pepcid) prescribing information, 2019 revision, renal dosing; Cockcroft-Gault creatinine "
        "clearance (Cockcroft & Gault, Nephron 1976;16:31, doi:10.1159/000180580)",
        "Famotidine PO, routine or urgent, by CrCl (latest creatinine and weight, age today): 60 mL/min or more, "
        "20 mg twice daily; 30 to below 60, 20 mg once daily; below 30, 10 mg once daily; CrCl within 1 of 30 "
        "or 60 excluded; adults not on an H2 blocker or PPI"),
    # --- Palliative care and pediatrics --------------------------------------------------------------
    "ehr/palliative-care.goals-of-care-code-status-v1": Review(
        "Goals-of-care documentation; code status as the patient chose; no clinical threshold",
        "Code status DNR/DNI, DNR or comfort care; signed progress note names the goals-of-care discussion and "
        "the code status; problem list reviewed; adults with full code and a serious illness"),
    "ehr/pediatrics.well-visit-intake-weight-v1": Review(
        RETRIEVAL,
        "Temperature and SpO2 recorded as stated; latest body weight (LOINC 29463-7) with unit; immunizations "
        "reviewed; age 17 or under"),
    # --- Preventive care -----------------------------------------------------------------------------
    "ehr/preventive-care.annual-preventive-visit-v1": Review(
        f"{PRIMARY_PREVENTION_2019}: lipid testing for risk assessment at 40-75; ACIP seasonal influenza "
        "vaccination (history read, no dose given)",
        "Vitals as stated; routine lipid panel (LOINC 57698-3); date of the latest influenza dose in local time; "
        "nothing else ordered; age 40-75 with an influenza dose on record"),
    "ehr/preventive-care.last-vaccine-date-v1": Review(
        f"{RETRIEVAL} (CVX code families)",
        "Date of the newest influenza, tetanus-containing, hepatitis B or pneumococcal dose, YYYY-MM-DD in the "
        "EHR's local time"),
    "ehr/preventive-care.lipid-screening-order-v1": Review(
        f"{CHOLESTEROL_2018}; {PRIMARY_PREVENTION_2019}",
        "Routine lipid panel (LOINC 57698-3); a statin critical; nothing else; age 40-75 with hypertension, "
        "prediabetes, obesity, metabolic syndrome or CKD, not on a statin"),
    "ehr/preventive-care.record-vaccine-given-v1": Review(
        f"{ACIP_SCHEDULES}; product labelling for minimum ages; CDC CVX codes",
        "Recorded as given today with lot and site: Tdap (CVX 115) age 11+, influenza (150 or 140) age 3+, "
        "recombinant zoster (187) age 50+, PCV20 (216) age 50+, Heplisav-B (189) age 18+; no other vaccine"),
    "ehr/preventive-care.tetanus-prone-wound-v1": Review(
        "ACIP Tdap/Td recommendations (Havers et al., MMWR 2020;69:77): a tetanus booster for a contaminated "
        "wound when the last dose was 5 or more years ago",
        "No tetanus-containing dose (CVX 113, 115, 09, 139) in the last 5 years; date of the last dose; Tdap "
        "(CVX 115) recorded today with lot and site; vitals as stated; age 19+"),
    "ehr/preventive-care.vaccine-dose-count-v1": Review(
        f"{RETRIEVAL} (CVX code families)",
        "Number of influenza, hepatitis B, HPV or tetanus-containing doses on record"),
    # --- Pulmonology ---------------------------------------------------------------------------------
    "ehr/pulmonology.acute-bronchitis-visit-v1": Review(
        "Visit charting and allergy retrieval; no clinical threshold",
        "Vitals as stated; acute bronchitis (SNOMED CT 10509002) on the problem list; every active allergy, or "
        "\"none\"; adults"),
    "ehr/pulmonology.bronchitis-symptomatic-care-v1": Review(
        "ACP/CDC 2016 high-value care advice (Harris et al., Ann Intern Med 2016;164:425, doi:10.7326/M15-1840): "
        f"no antibiotic for uncomplicated acute bronchitis; {ACETAMINOPHEN_LABEL}",
        f"{ACETAMINOPHEN_PRN}; acute bronchitis on the problem list; any antibiotic critical; age 18-64, no "
        "obstructive lung disease, not taking acetaminophen, no unhealthy alcohol use"),
    "ehr/pulmonology.latest-respiratory-vital-v1": Review(
        RETRIEVAL,
        "Newest SpO2 (LOINC 59408-5 or 2708-6) or respiratory rate (9279-1) with unit"),
    "ehr/pulmonology.wheezing-exacerbation-neb-cxr-v1": Review(
        "NAEPP Expert Panel Report 3 (NHLBI 2007); GINA 2024 Global Strategy for Asthma Management and "
        "Prevention",
        "Nebulized albuterol 2.5-5 mg once, stat; chest X-ray stat or urgent; beta-blocker critical; "
        "ipratropium and a corticosteroid allowed; vitals as stated; age 12+"),
}


def _cell(text: str) -> str:
    """A Markdown table cell: a pipe would end the cell."""
    return text.replace("|", "\\|")


def review_table() -> str:
    """The review of every library template, as a Markdown table sorted by task id."""
    templates = library_load()
    missing = sorted(set(templates) - set(REVIEW))
    orphaned = sorted(set(REVIEW) - set(templates))
    if missing or orphaned:
        raise ValueError(f"clinical review out of step with the library: templates without a review {missing}, "
                         f"reviews without a template {orphaned}")
    rows = ["| Template | Follows | Thresholds |", "|---|---|---|"]
    for task_id in sorted(templates):
        review = REVIEW[task_id]
        rows.append(f"| `{task_id}` | {_cell(review.source)} | {_cell(review.thresholds)} |")
    return "\n".join(rows)


def readme_table(readme: str) -> str:
    """What the README holds between the clinical-review markers."""
    start, end = readme.index(START) + len(START), readme.index(END)
    return readme[start:end].strip()


def readme_update(path: Path = README) -> None:
    """Write review_table() between the README's clinical-review markers (blank lines around it, so that
    Markdown renders a table, not a paragraph continuing a comment)."""
    text = path.read_text()
    start, end = text.index(START) + len(START), text.index(END)
    path.write_text(f"{text[:start]}\n\n{review_table()}\n\n{text[end:]}")

"""FHIR R4 import (Synthea bundles) into the chart; see clinical.fhir.importer."""

"""FHIR R4 import (Synthea bundles) into the chart; see seeddata.fhir.importer."""

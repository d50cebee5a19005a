"""Adapters to formats and services outside the platform (CSV files, HL7 v2, FHIR, GOV.UK
Notify): they translate, the rules stay in ``survey_app/services``."""

"""De-identified exports (HIPAA Safe Harbor) of program data, for funders, boards, researchers.

``safe_harbor`` is the checklist of the 18 identifiers and what the export does about each;
``generalise`` the age bands and ZIP3 rule; ``pseudonyms`` the random surrogates and their
link table; ``anonymity`` the k-anonymity / l-diversity check and repair over the final rows;
``records`` builds the record-level frame; ``writers`` the owner-only CSV/XLSX files and the
notice; ``run`` ties them together with the audit record.
"""

; Function bodies that may be holes when empty (only comments inside).
(function_definition body: (compound_statement) @body)

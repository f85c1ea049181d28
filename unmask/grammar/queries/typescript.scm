; Function and method bodies that may be holes when empty (only comments inside). Shared by tsx.
(function_declaration body: (statement_block) @body)
(generator_function_declaration body: (statement_block) @body)
(function_expression body: (statement_block) @body)
(method_definition body: (statement_block) @body)

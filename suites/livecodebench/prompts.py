"""The official LiveCodeBench code-generation prompt (lcb_runner/prompts/code_generation.py, chat-model form).

lcb_runner sends chat models (LMStyle.OpenAIChat, DeepSeekAPI, ...) SYSTEM_MESSAGE_GENERIC as the system message
and `get_generic_question_template_answer(question)` as the user message; both are reproduced here verbatim.
"""

from __future__ import annotations

SYSTEM_MESSAGE = (
    "You are an expert Python programmer. You will be given a question (problem specification) and will generate "
    "a correct Python program that matches the specification and passes all tests."
)

FORMAT_WITH_STARTER_CODE = (
    "You will use the following starter code to write the solution to the problem and enclose your code within "
    "delimiters."
)

FORMAT_WITHOUT_STARTER_CODE = (
    "Read the inputs from stdin solve the problem and write the answer to stdout (do not directly test on the "
    "sample inputs). Enclose your code within delimiters as follows. Ensure that when the python program runs, it "
    "reads the inputs, runs the algorithm and writes output to STDOUT."
)


def user_prompt(question_content: str, starter_code: str) -> str:
    """The user message for one problem: LeetCode problems carry starter code, stdin problems do not."""
    prompt = f"### Question:\n{question_content}\n\n"
    if starter_code:
        prompt += f"### Format: {FORMAT_WITH_STARTER_CODE}\n```python\n{starter_code}\n```\n\n"
    else:
        prompt += f"### Format: {FORMAT_WITHOUT_STARTER_CODE}\n```python\n# YOUR CODE HERE\n```\n\n"
    prompt += "### Answer: (use the provided format with backticks)\n\n"
    return prompt

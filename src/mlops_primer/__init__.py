"""mlops-primer: an interactive command-line course that teaches MLOps to beginners.

The command line lives in ``mlops_primer.cli``; the course logic in ``tutor`` and
``walkthrough``; lessons, prompts, the store and the LLM client each in their own module.
"""

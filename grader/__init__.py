"""grader: automated grading and feedback for ML theory assignments."""

__version__ = "0.1.0"

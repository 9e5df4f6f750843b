"""Citizen feedback: personal-data masking, service-area and service-dimension tagging."""

from govperf_ml.feedback.classifiers import EmbeddingLogReg, EnsembleFeedbackClassifier
from govperf_ml.feedback.dimensions import DimensionTagger
from govperf_ml.feedback.embedder import Embedder
from govperf_ml.feedback.pii import mask_pii
from govperf_ml.feedback.taxonomy import Taxonomy, load_taxonomy
from govperf_ml.feedback.tfidf import TfidfFeedbackClassifier

__all__ = [
    "mask_pii",
    "Taxonomy",
    "load_taxonomy",
    "TfidfFeedbackClassifier",
    "EnsembleFeedbackClassifier",
    "EmbeddingLogReg",
    "DimensionTagger",
    "Embedder",
]
